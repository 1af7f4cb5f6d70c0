// appui — the platform's own script, loaded as a module after htmx:
//   <script type="module" src="/static/appui.js"></script>
// Pages work without it (progressive enhancement), and nothing here may
// need 'unsafe-inline' or 'unsafe-eval' (see the Content-Security-Policy in
// web/server.c).
//
// Keyboard focus after an htmx update: when a form replaces the part of the
// page it sits in (a row of the queue, the thread of a request), the button
// that had the focus disappears and the browser would send a keyboard or
// screen-reader user back to the top of the page. After each swap, if the
// focus was lost, it goes to the element that had it when it still exists
// (same id), else to the update's message (role="alert" or "status") in the
// new content, else to the new content itself.

let before = null; // id of the element focused when the request left

document.addEventListener('htmx:beforeRequest', () => {
  const a = document.activeElement;
  before = a && a !== document.body && a.id ? a.id : null;
});

function focusable(el) {
  if (!el.matches('a[href], button, input, select, textarea, [tabindex]')) el.setAttribute('tabindex', '-1');
  el.focus();
}

document.addEventListener('htmx:afterSettle', (e) => {
  const a = document.activeElement;
  if (a && a !== document.body && document.contains(a)) return; // focus kept
  const same = before && document.getElementById(before);
  if (same) {
    same.focus();
    return;
  }
  // The new content: the target itself (innerHTML) or what replaced it (outerHTML, same id).
  let target = e.detail && e.detail.target;
  if (target && !document.contains(target) && target.id) target = document.getElementById(target.id);
  if (!target || !document.contains(target)) return;
  const message = target.querySelector('[role="alert"], [role="status"]');
  focusable(message && message.textContent.trim() ? message : target);
});

// appui — the platform's own script, loaded as a module after htmx:
//   <script type="module" src="/static/appui.js"></script>
// Page behaviour comes later: pages must work without it (progressive
// enhancement), and nothing here may need 'unsafe-inline' or 'unsafe-eval'
// (see the Content-Security-Policy in web/server.c).
export {};

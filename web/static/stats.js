// stats — the charts of /statistiques with Chart.js (loaded before this
// file by the page). The data come from a JSON block of the page
// (<script type="application/json" id="stats-data">), never from inline
// code; every chart also has its data table in the page.
export {};

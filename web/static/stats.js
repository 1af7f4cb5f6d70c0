// stats — the charts of /statistiques with Chart.js (loaded before this
// file by the page, global `Chart`). The data come from a JSON block of the
// page (<script type="application/json" id="stats-data">), never from inline
// code; every chart also has its data table in the page, so that nothing is
// lost without JavaScript or without sight. Each <canvas data-chart="KEY">
// draws data[KEY] = {labels, series: [{label, values}]}.

const PALETTE = ["#000091", "#ce0500", "#18753c", "#a33900"];

function readData() {
  const block = document.getElementById("stats-data");
  if (!block) return null;
  try {
    return JSON.parse(block.textContent);
  } catch (e) {
    return null;
  }
}

function draw(canvas, chart) {
  const horizontal = canvas.dataset.chart === "themes" || canvas.dataset.chart === "orgs";
  // Chart.js draws into the canvas only: the accessible name stays the
  // canvas's aria-label, the values are in the table after it.
  return new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: chart.labels,
      datasets: chart.series.map((s, i) => ({
        label: s.label,
        data: s.values,
        backgroundColor: PALETTE[i % PALETTE.length],
      })),
    },
    options: {
      indexAxis: horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
      plugins: { legend: { display: chart.series.length > 1 } },
      scales: { [horizontal ? "x" : "y"]: { beginAtZero: true } },
    },
  });
}

function start() {
  const data = readData();
  if (!data || typeof window.Chart !== "function") return;
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const chart = data[canvas.dataset.chart];
    if (chart && Array.isArray(chart.labels) && chart.labels.length) draw(canvas, chart);
  }
}

// Module scripts run after the deferred Chart.js, once the page is parsed.
start();

export {};

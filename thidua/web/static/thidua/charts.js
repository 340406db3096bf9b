// The charts of the monitoring pages. Apache ECharts draws each element marked `data-chart="ID"` from the options the
// server wrote as JSON into `<script type="application/json" id="ID">` (the Content-Security-Policy allows no inline
// script). Every chart has its data as a table beside it, for screen readers and for printing: the canvas is only a
// picture of that table. Options are plain JSON; what JSON cannot say (number formats) is named in `data-format`.
(function () {
  const number = new Intl.NumberFormat("vi-VN");
  const FORMATS = {
    // Applications: 1.234 (the Vietnamese thousands separator, as everywhere on the site).
    count: (value) => number.format(value),
    // A share given as a fraction: 87,5%.
    percent: (value) => `${new Intl.NumberFormat("vi-VN", {maximumFractionDigits: 1}).format(value * 100)}%`,
  };

  function formatted(option, format) {
    const shown = FORMATS[format];
    if (!shown) return option;
    for (const axis of [].concat(option.yAxis || [], option.xAxis || [])) {
      if (axis.type === "value") axis.axisLabel = {...(axis.axisLabel || {}), formatter: shown};
    }
    if (option.tooltip) option.tooltip.valueFormatter = (value) => (value == null ? "–" : shown(value));
    return option;
  }

  function draw(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach((element) => {
      if (element.dataset.drawn) return;
      const source = document.getElementById(element.dataset.chart);
      if (!source) return;
      const locale = document.documentElement.lang === "en" ? "EN" : "VI";
      const chart = window.echarts.init(element, null, {renderer: "canvas", locale});
      chart.setOption(formatted(JSON.parse(source.textContent), element.dataset.format));
      element.dataset.drawn = "1";
      new ResizeObserver(() => chart.resize()).observe(element);
    });
  }

  document.addEventListener("DOMContentLoaded", () => draw(document));
  document.addEventListener("htmx:load", (event) => draw(event.target));
  // Printed pages are narrower than the screen: draw again at the paper's width, then back.
  const resizeAll = () => document.querySelectorAll("[data-chart][data-drawn]").forEach((element) => {
    const chart = window.echarts && window.echarts.getInstanceByDom(element);
    if (chart) chart.resize();
  });
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();

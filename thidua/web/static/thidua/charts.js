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
  const day = new Intl.DateTimeFormat("vi-VN", {day: "2-digit", month: "2-digit", year: "numeric"});
  // Below this width a legend wraps to two items a row: the plot leaves it room.
  const NARROW = 600;

  // The tooltip as text drawn on the canvas (ECharts' "richText"): its HTML tooltip writes inline styles, which the
  // Content-Security-Policy refuses. A day reads dd/mm/yyyy, values in the chart's format.
  function tooltipText(shown) {
    return (params) => {
      const items = [].concat(params);
      if (!items.length) return "";
      const first = items[0];
      const head = first.axisType === "xAxis.time" ? day.format(new Date(first.axisValue)) : first.axisValueLabel;
      const value = (item) => (Array.isArray(item.value) ? item.value[1] : item.value);
      return [head, ...items.map((item) => `${item.seriesName}: ${value(item) == null ? "–" : shown(value(item))}`)]
        .join("\n");
    };
  }

  function formatted(option, format, width) {
    const shown = FORMATS[format] || ((value) => String(value));
    for (const axis of [].concat(option.yAxis || [], option.xAxis || [])) {
      if (axis.type === "value") axis.axisLabel = {...(axis.axisLabel || {}), formatter: shown};
    }
    if (option.tooltip) {
      option.tooltip = {...option.tooltip, renderMode: "richText", confine: true, formatter: tooltipText(shown)};
    }
    if (option.legend && option.legend.show !== false && option.grid && width < NARROW) {
      option.grid = {...option.grid, bottom: 56 + Math.ceil((option.series || []).length / 2) * 22};
    }
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
      chart.setOption(formatted(JSON.parse(source.textContent), element.dataset.format, element.clientWidth));
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

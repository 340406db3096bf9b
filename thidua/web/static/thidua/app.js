// Small enhancements on top of server-rendered pages (every page works without them).
// Upload progress of the import form: htmx reports the bytes sent; once all are sent the server is checking.
document.addEventListener("htmx:xhr:progress", (event) => {
  const box = event.target.querySelector(".upload-progress");
  if (!box || !event.detail.lengthComputable) return;
  const done = Math.round((event.detail.loaded / event.detail.total) * 100);
  box.querySelector("progress").value = done;
  box.classList.toggle("sent", done >= 100);
});

// Dates are typed and shown dd/mm/yyyy whatever the browser's language (the field is plain text, read by the
// server); a button beside it opens flatpickr's calendar in the page's language — also on phones, whose own date
// fields follow the phone's language and order. The calendar opens only from its button, so that it never covers
// the form's own button while a date is typed; where picking a day is the whole form's purpose, it sends the form.
function calendarIcon() {
  // Drawn, not a character: an emoji needs a font that field computers may not have.
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("width", "20");
  svg.setAttribute("height", "20");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M3 5h14v12H3zM3 9h14M7 3v4M13 3v4M6 12h2M9 12h2M12 12h2M6 15h2M9 15h2");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "1.6");
  svg.append(path);
  return svg;
}

function addCalendars(root) {
  if (!window.flatpickr) return;
  const locale = document.documentElement.lang === "en" ? "default"
    : {...window.flatpickr.l10ns.vn, yearAriaLabel: "Năm", monthAriaLabel: "Tháng"};
  root.querySelectorAll("input.date-input").forEach((input) => {
    if (input._flatpickr) return;
    let picking = false;  // a day is being picked on the open calendar (its change comes right after it closes)
    const picker = window.flatpickr(input, {
      locale, dateFormat: "d/m/Y", ariaDateFormat: "d/m/Y", allowInput: true, disableMobile: true, animate: false,
      clickOpens: false, minDate: input.dataset.min || null, maxDate: input.dataset.max || null,
      onOpen: () => { picking = true; },
      onClose: () => { setTimeout(() => { picking = false; }, 0); },
      onChange: () => {
        if (picking && "pickSends" in input.dataset && input.form) input.form.requestSubmit();
      },
    });
    const button = document.createElement("button");
    button.type = "button";
    button.className = "calendar-toggle";
    button.setAttribute("aria-label", input.dataset.calendar || "");
    button.title = input.dataset.calendar || "";
    button.append(calendarIcon());
    button.addEventListener("click", () => picker.toggle());
    input.after(button);
    // A typed date sends its form with Enter, as any field does.
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && input.form) {
        event.preventDefault();
        picker.close();
        input.form.requestSubmit();
      }
    });
  });
}
document.addEventListener("DOMContentLoaded", () => addCalendars(document));
document.addEventListener("htmx:load", (event) => addCalendars(event.target));

// A button that prints the page (the district's day summary: its print styles make it an A4 sheet).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// issue 11: board — the operations room's board polls for news (htmx). Its session may end: the poll is then sent to
// the login page, which must not be drawn inside the board; the whole page is loaded again instead (and asks to
// sign in, coming back to the board after).
document.addEventListener("htmx:beforeSwap", (event) => {
  const element = event.detail.elt;
  if (!element || !element.matches || !element.matches("[data-board-live]")) return;
  const asked = new URL(element.getAttribute("hx-get"), window.location.href).pathname;
  const answered = event.detail.xhr.responseURL ? new URL(event.detail.xhr.responseURL).pathname : asked;
  if (answered !== asked) {
    event.detail.shouldSwap = false;
    window.location.reload();
  }
});

// issue 11: board — the replay's slider says its day (dd/mm/yyyy) beside it and to screen readers as it moves; when
// a day is shown by another way (the buttons, the date field), the slider and the date field follow it.
function replayDate(slider) {
  const day = new Date(`${slider.dataset.start}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + Number(slider.value) - 1);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(day.getUTCDate())}/${pad(day.getUTCMonth() + 1)}/${day.getUTCFullYear()}`;
}

function sayReplayDay(slider) {
  const text = replayDate(slider);
  slider.setAttribute("aria-valuetext", text);
  const output = document.getElementById(`${slider.id}-output`);
  if (output) output.value = text;
}

document.addEventListener("input", (event) => {
  if (event.target.matches && event.target.matches("input[type=range][data-start]")) sayReplayDay(event.target);
});

document.addEventListener("htmx:afterSwap", (event) => {
  const shown = document.getElementById("replay-day");
  if (!shown || !shown.dataset.number || event.detail.target.id !== "replay-day") return;
  const slider = document.querySelector("input[type=range][data-start]");
  const fromSlider = event.detail.requestConfig && slider && event.detail.requestConfig.elt === slider.form;
  if (slider && !fromSlider && slider.value !== shown.dataset.number) {
    slider.value = shown.dataset.number;
    sayReplayDay(slider);
  }
  const field = document.querySelector("form.replay-date input.date-input");
  if (field && field.value !== shown.dataset.day) {
    if (field._flatpickr) field._flatpickr.setDate(shown.dataset.day, false, "d/m/Y");
    else field.value = shown.dataset.day;
  }
});

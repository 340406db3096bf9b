// Small enhancements on top of server-rendered pages (every page works without them).
// Upload progress of the import form: htmx reports the bytes sent; once all are sent the server is checking.
document.addEventListener("htmx:xhr:progress", (event) => {
  const box = event.target.querySelector(".upload-progress");
  if (!box || !event.detail.lengthComputable) return;
  const done = Math.round((event.detail.loaded / event.detail.total) * 100);
  box.querySelector("progress").value = done;
  box.classList.toggle("sent", done >= 100);
});

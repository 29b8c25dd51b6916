// The console's own script: loaded from /static (no inline script is
// allowed by the Content-Security-Policy). Keep it small; pages work
// without it.
(function () {
  "use strict";

  // <button data-copy="#id"> copies the text (or value) of the element #id.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-copied") || "OK";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text.trim()).then(done);
    } else {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      done();
    }
  });

  // A field's error from the last submit no longer describes what is being
  // typed: it is dimmed and its mark hidden until the next submit.
  document.addEventListener("input", function (event) {
    var field = event.target.closest(".field.invalid");
    if (!field) return;
    field.classList.remove("invalid");
    field.classList.add("edited");
  });

  // On a phone the menu is a row that scrolls sideways: show the current
  // page's entry rather than the first ones.
  var current = document.querySelector('.menu [aria-current="page"]');
  var menu = current && current.parentElement;
  if (menu && menu.scrollWidth > menu.clientWidth) {
    var left = current.getBoundingClientRect().left - menu.getBoundingClientRect().left;
    menu.scrollLeft += left - (menu.clientWidth - current.offsetWidth) / 2;
  }

  // <form data-progress="id"> sent by htmx shows how much of the upload
  // is sent in the element #id (a <progress> and a label saying what
  // happens), then that the server is working on it.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("form[data-progress]");
    if (!form) return;
    var box = document.getElementById(form.getAttribute("data-progress"));
    if (!box) return;
    var bar = box.querySelector("progress");
    var label = box.querySelector("[data-uploading]");
    box.hidden = false;
    var done = event.detail.lengthComputable && event.detail.loaded >= event.detail.total;
    if (event.detail.lengthComputable) {
      bar.max = event.detail.total;
      bar.value = event.detail.loaded;
    }
    if (done) bar.removeAttribute("value");
    if (label) label.textContent = label.getAttribute(done ? "data-working" : "data-uploading");
  });

  // Such a form's refused input (422) is the page again with the errors
  // next to the fields: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.target.closest && event.target.closest("form[data-progress]");
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if ((form || (source && source.hasAttribute && source.hasAttribute("data-progress")))
        && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // <form data-confirm="question"> asks before submitting.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();

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

  // <form data-confirm="question"> asks before submitting.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();

/* Behaviour every page shares, kept out of the HTML: the Content-Security-Policy runs no inline script
   and no on*="" handler. */
(function () {
  "use strict";
  var language = document.getElementById("language");
  if (language) language.addEventListener("change", function () { language.form.submit(); });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();

// Grading and entry pages: seek the recording from the transcript, preview section
// scores as items change, apply the transcript's suggestions. No libraries.
// The server scores every save (ivr.grading.scoring); these figures are a preview.
(function () {
  "use strict";

  // Points are handled as whole hundredths so 0.5 + 0.5 + ... stays exact.
  function hundredths(text) {
    var n = parseFloat(text);
    return isFinite(n) ? Math.round(n * 100) : 0;
  }
  function show(h) {
    return (h / 100).toFixed(2);
  }

  // --- scores ---------------------------------------------------------------
  function sectionScore(fieldset) {
    var points = hundredths(fieldset.dataset.points);
    var raw = 0;
    fieldset.querySelectorAll("input").forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) raw += hundredths(input.dataset.amount);
      } else if (input.dataset.kind === "score") {
        if (input.value !== "") {
          var awarded = Math.min(Math.max(hundredths(input.value), 0), hundredths(input.dataset.points));
          raw += hundredths(input.dataset.points) - awarded;
        }
      } else if (input.dataset.amount) {
        var times = parseInt(input.value || "0", 10);
        if (times > 0) raw += times * hundredths(input.dataset.amount);
      }
    });
    if (fieldset.dataset.mode === "add") return Math.min(raw, points);
    return Math.max(0, points - raw);
  }

  function currentValue(itemId) {
    var inputs = document.getElementsByName("i-" + itemId);
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "checkbox") return input.checked ? "1" : "";
      if (input.type === "radio") {
        if (input.checked) return input.value;
      } else {
        return input.value;
      }
    }
    return "";
  }

  function same(a, b) {
    return (a || "0") === (b || "0");
  }

  function refresh() {
    var total = 0;
    document.querySelectorAll("fieldset.rubric-section").forEach(function (fieldset) {
      var score = sectionScore(fieldset);
      total += score;
      var id = fieldset.dataset.section;
      document.querySelectorAll('[data-score-for="' + id + '"], [data-total-for="' + id + '"]').forEach(
        function (out) { out.textContent = show(score); }
      );
    });
    document.querySelectorAll("[data-grand-total]").forEach(function (out) {
      out.textContent = show(total);
    });
    document.querySelectorAll("[data-suggest-for]").forEach(function (badge) {
      var item = document.getElementById("item-" + badge.dataset.suggestFor);
      if (!item) return;
      item.classList.add("suggested-here");
      item.classList.toggle("overridden", !same(currentValue(badge.dataset.suggestFor), badge.dataset.suggested));
    });
  }

  function apply(itemId, value) {
    var inputs = document.getElementsByName("i-" + itemId);
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.disabled) continue;
      if (input.type === "checkbox") input.checked = value === "1";
      else if (input.type === "radio") input.checked = input.value === value;
      else input.value = value;
    }
    var item = document.getElementById("item-" + itemId);
    if (item) {
      item.scrollIntoView({ block: "center", behavior: "smooth" });
      item.classList.add("applied");
    }
    refresh();
  }

  // --- audio ----------------------------------------------------------------
  var player = document.getElementById("player");
  var words = Array.prototype.slice.call(document.querySelectorAll(".w[data-t]"));
  var playing = null;

  function seek(seconds) {
    if (!player) return;
    player.currentTime = seconds;
    var started = player.play();
    if (started && started.catch) started.catch(function () {});
  }

  function highlight() {
    var t = player.currentTime;
    var lo = 0, hi = words.length - 1, found = null;
    while (lo <= hi) {  // the last word starting at or before t
      var mid = (lo + hi) >> 1;
      if (parseFloat(words[mid].dataset.t) <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    var word = found !== null && t < parseFloat(words[found].dataset.end) + 0.15 ? words[found] : null;
    if (word === playing) return;
    if (playing) playing.classList.remove("playing");
    playing = word;
    if (word) word.classList.add("playing");
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-t]");
    if (target) {
      seek(parseFloat(target.dataset.t));
      return;
    }
    var button = event.target.closest("button[data-apply]");
    if (button) apply(button.dataset.apply, button.dataset.value);
  });
  if (player && words.length) player.addEventListener("timeupdate", highlight);

  document.addEventListener("input", refresh);
  document.addEventListener("change", refresh);
  refresh();
})();

// /flows/: a node's settings on click, and the trial-call keypad. No inline script (CSP).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("flow-nodes").textContent);
  const panel = document.getElementById("node-panel");

  function fill(list, entries) {
    list.replaceChildren();
    for (const [name, value] of entries) {
      const term = document.createElement("dt");
      term.textContent = name;
      const detail = document.createElement("dd");
      detail.textContent = value;
      list.append(term, detail);
    }
  }

  function showNode(id) {
    const node = data.nodes[id];
    if (!node) return;
    const figures = data.figures[id] || {};
    document.getElementById("node-title").textContent = id;
    document.getElementById("node-type").textContent = node.type;
    fill(document.getElementById("node-figures"), [
      ["进入 Calls", figures.entered || 0],
      ["无效按键 Invalid keys", figures.invalid || 0],
      ["静默 Silent rounds", figures.silence || 0],
      ["静默挂断 Cut off after silence", figures.silence_hangups || 0],
      ["返回 Back (*)", figures.back || 0],
      ["在此挂机 Hung up here", figures.hangups || 0],
    ]);
    fill(document.getElementById("node-settings"), Object.entries(node.settings));
    fill(document.getElementById("node-prompts"), Object.entries(node.prompts));
    const options = document.getElementById("node-options");
    options.replaceChildren();
    for (const option of node.options) {
      const item = document.createElement("li");
      const share = Math.round(option.share * 100);
      item.textContent = `${option.digits}${option.target ? " → " + option.target : ""}: ${option.count} (${share}%)`;
      options.append(item);
    }
    for (const group of document.querySelectorAll("g.flow-node.selected")) {
      group.classList.remove("selected");
    }
    const group = nodeGroup(id);
    if (group) group.classList.add("selected");
    panel.hidden = false;
  }

  function nodeGroup(id) {
    for (const group of document.querySelectorAll("g.flow-node")) {
      if (group.dataset.node === id) return group;
    }
    return null;
  }

  for (const group of document.querySelectorAll("g.flow-node")) {
    group.addEventListener("click", () => showNode(group.dataset.node));
    group.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        showNode(group.dataset.node);
      }
    });
  }

  // --- try it ---------------------------------------------------------------------------
  const start = document.getElementById("try-start");
  const keypad = document.querySelector(".keypad");
  const heard = document.getElementById("try-heard");
  const notes = document.getElementById("try-notes");
  const typed = document.getElementById("try-typed");
  const token = start.querySelector("input[name=csrf_token]").value;
  const controls = [
    ...keypad.querySelectorAll("button"),
    document.getElementById("try-send"),
    document.getElementById("try-silence"),
    document.getElementById("try-hangup"),
  ];
  let buffer = "";
  let busy = false;
  const LABELS = {
    say: "听到 Hears",
    play: "播放 Plays",
    press: "按键 Keys",
    silence: "不按键 Silent",
    record: "录音 Records",
    dial: "转接 Puts through",
    queue: "排队 Queues",
    speech: "语音 Speech",
    hangup: "挂机 Hangs up",
    end: "通话结束 The call ended",
    error: "出错 Error",
  };

  function line(kind, text) {
    const item = document.createElement("li");
    item.className = `heard-${kind}`;
    const label = document.createElement("strong");
    label.textContent = LABELS[kind] || kind;
    item.append(label, text ? `：${text}` : "");
    heard.append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function highlight(id) {
    for (const group of document.querySelectorAll("g.flow-node.current")) {
      group.classList.remove("current");
    }
    const group = id ? nodeGroup(id) : null;
    if (group) {
      group.classList.add("current");
      group.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
    keypad.dataset.node = id || "";
  }

  function setLive(live) {
    for (const button of controls) button.disabled = !live;
  }

  async function post(url, fields) {
    if (busy) return;
    busy = true;
    const body = new URLSearchParams(fields);
    body.set("csrf_token", token);
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": token },
        credentials: "same-origin",
      });
      const answer = await response.json();
      if (!response.ok) {
        line("error", answer.error || String(response.status));
        return;
      }
      for (const { kind, text } of answer.lines) line(kind, text);
      notes.replaceChildren();
      for (const note of answer.notes) {
        const item = document.createElement("li");
        item.textContent = note;
        notes.append(item);
      }
      highlight(answer.ended ? "" : answer.node);
      setLive(!answer.ended);
      if (answer.ended) line("end", "");
      keypad.dataset.digits = answer.digits || 0;
      keypad.dataset.finish = answer.finish || "";
    } catch (error) {
      line("error", String(error));
    } finally {
      busy = false;
    }
  }

  start.addEventListener("submit", (event) => {
    event.preventDefault();
    heard.replaceChildren();
    buffer = "";
    typed.textContent = "";
    post(start.action, new FormData(start));
  });

  function sendKeys(keys) {
    buffer = "";
    typed.textContent = "";
    post(keypad.dataset.keys, { keys });
  }

  for (const button of keypad.querySelectorAll("button.key")) {
    button.addEventListener("click", () => {
      // As the Gather would: it ends at its number of keys or at its finish key.
      const key = button.dataset.key;
      const digits = Number(keypad.dataset.digits || 0);
      buffer += key;
      typed.textContent = buffer;
      if ((digits && buffer.length >= digits) || key === keypad.dataset.finish) {
        sendKeys(buffer);
      }
    });
  }
  document.getElementById("try-send").addEventListener("click", () => {
    if (buffer) sendKeys(buffer);
  });
  document.getElementById("try-silence").addEventListener("click", () => {
    post(keypad.dataset.silence, {});
  });
  document.getElementById("try-hangup").addEventListener("click", () => {
    post(keypad.dataset.hangup, {});
  });
});

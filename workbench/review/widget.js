// The browser side of workbench.review.ReviewWidget (an anywidget ES module).
//
// The widget owns the keyboard while it has the focus. Every key or click is a message
// of its own with a sequence number, the item it was pressed on (token) and how long that
// item had been painted on screen. The kernel handles messages strictly in sequence order
// and acknowledges each; keys not yet acknowledged are shown as pending, and a key whose
// acknowledgement is overtaken by a later heartbeat answer was lost and is sent again (the
// kernel drops repeats, so each key is handled exactly once).

const SHARED = new WeakMap(); // model -> {seq, unacked}: one sequence for all views of a model

function shared(model) {
  let s = SHARED.get(model);
  if (!s) {
    s = { seq: model.get("acked") || 0, unacked: new Map() };
    SHARED.set(model, s);
  }
  return s;
}

function make(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const SCROLL = { ArrowDown: 40, ArrowUp: -40, PageDown: 0.9, PageUp: -0.9, " ": 0.9, j: 40, k: -40 };

function render({ model, el }) {
  const st = shared(model);
  const root = make("div", "wb-review");
  root.tabIndex = 0;
  root.setAttribute("data-lm-suppress-shortcuts", "true"); // JupyterLab's shortcuts stay out
  const top = make("div", "wb-top");
  const keys = make("button", "wb-keys");
  keys.tabIndex = -1;
  const pending = make("span", "wb-pending");
  const bar = make("progress", "wb-progress");
  const ptext = make("span", "wb-progress-text");
  top.append(keys, pending, bar, ptext);
  const dead = make("div", "wb-dead");
  const slow = make("div", "wb-slow");
  const header = make("div", "wb-header");
  const main = make("div", "wb-main");
  const body = make("div", "wb-body");
  const side = make("div", "wb-history");
  main.append(body, side);
  const buttons = make("div", "wb-buttons");
  const inputs = make("div", "wb-inputs");
  const note = make("input", "wb-note");
  note.type = "text";
  note.placeholder = "note (n) — saved with the next decision; Enter gives the keys back";
  const tagBox = make("span", "wb-tagbox");
  const tagInput = make("input", "wb-tag");
  tagInput.type = "text";
  tagInput.placeholder = "tag (t), Enter adds";
  const tagList = make("datalist");
  tagList.id = "wb-tags-" + Math.random().toString(36).slice(2);
  tagInput.setAttribute("list", tagList.id);
  const chips = make("span", "wb-chips");
  tagBox.append(tagInput, tagList, chips);
  inputs.append(note, tagBox);
  const status = make("div", "wb-status");
  root.append(top, dead, slow, header, main, buttons, inputs, status);
  el.appendChild(root);

  let token = -1;
  let shownAt = null;
  let finished = false;
  let isDead = false;
  let tags = [];
  let pingN = 0;
  const pingSent = new Map();
  let lastAnswer = performance.now();

  // -- state from the kernel ----------------------------------------------------------------
  function renderView() {
    const v = model.get("view") || {};
    header.innerHTML = v.header || "";
    body.innerHTML = v.body || "";
    body.scrollTop = 0;
    if (zoomed) unzoom();
    token = v.token === undefined ? -1 : v.token;
    finished = !!v.finished;
    shownAt = null;
    const mine = token;
    // painted: two animation frames after the DOM changed (none run in a hidden tab)
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        if (token === mine) shownAt = performance.now();
      }),
    );
    for (const b of buttons.querySelectorAll(".wb-decision, .wb-skip")) b.disabled = finished;
    for (const img of body.querySelectorAll("img.wb-image")) {
      img.addEventListener("click", () => zoom(img));
    }
  }

  function renderButtons() {
    buttons.replaceChildren();
    (model.get("taxonomy") || []).forEach((name, i) => {
      const b = make("button", "wb-decision", `${i + 1} ${name}`);
      b.title = `key ${i + 1}`;
      b.addEventListener("click", () => send({ action: "decide", decision: name }));
      buttons.append(b);
    });
    const skip = make("button", "wb-skip", "s Skip");
    skip.addEventListener("click", () => send({ action: "skip" }));
    const undo = make("button", "wb-undo", "u Undo");
    undo.addEventListener("click", () => send({ action: "undo" }));
    buttons.append(skip, undo);
    for (const b of buttons.querySelectorAll("button")) {
      b.tabIndex = -1; // Tab never lands on a button
      b.addEventListener("mousedown", (e) => e.preventDefault()); // a click keeps the focus
      b.addEventListener("click", () => root.focus());
    }
    for (const b of buttons.querySelectorAll(".wb-decision, .wb-skip")) b.disabled = finished;
  }

  function renderHistory() {
    side.replaceChildren(make("div", "wb-history-title", "Last decisions (click to change)"));
    const names = model.get("taxonomy") || [];
    for (const h of model.get("history") || []) {
      const row = make("div", "wb-hrow");
      row.dataset.eventId = String(h.event_id);
      row.append(make("span", "wb-hitem", h.item_id), make("span", "wb-hdec", h.decision));
      if (h.snippet) row.append(make("div", "wb-hsnippet", h.snippet));
      const choose = make("div", "wb-hchoose");
      names.forEach((name, i) => {
        const b = make("button", "wb-hbutton", `${i + 1} ${name}`);
        b.tabIndex = -1;
        b.addEventListener("mousedown", (e) => e.preventDefault());
        b.addEventListener("click", (e) => {
          e.stopPropagation();
          send({ action: "revise", event_id: h.event_id, decision: name });
          root.focus();
        });
        choose.append(b);
      });
      row.append(choose);
      row.addEventListener("click", () => {
        row.classList.toggle("wb-open");
        root.focus();
      });
      side.append(row);
    }
  }

  function renderProgress() {
    const p = model.get("progress") || {};
    bar.max = p.max || 1;
    bar.value = p.value || 0;
    ptext.textContent = p.text || "";
  }

  function renderStatus() {
    const s = model.get("status") || {};
    status.textContent = s.text || "";
    status.dataset.level = s.level || "info";
    if (s.level === "refused") flash();
  }

  function renderTags() {
    const choices = model.get("tag_choices") || [];
    tagBox.style.display = choices.length ? "" : "none";
    tagList.replaceChildren(...choices.map((c) => Object.assign(make("option"), { value: c })));
    chips.replaceChildren(
      ...tags.map((t) => {
        const c = make("span", "wb-chip", t + " ×");
        c.title = "remove";
        c.addEventListener("click", () => {
          tags = tags.filter((x) => x !== t);
          renderTags();
          root.focus();
        });
        return c;
      }),
    );
  }

  // click an image: it fills the window (on a dark backdrop) until the next click or Esc
  let zoomed = null;
  function unzoom() {
    if (zoomed) zoomed.remove();
    zoomed = null;
    root.focus();
  }
  function zoom(img) {
    unzoom();
    zoomed = make("div", "wb-lightbox");
    const big = make("img", "wb-lightbox-image");
    big.src = img.src;
    big.alt = img.alt;
    zoomed.title = "click or Esc to close";
    zoomed.append(big);
    zoomed.addEventListener("click", unzoom);
    document.body.append(zoomed);
    root.focus();
  }

  function flash() {
    root.classList.remove("wb-flash");
    void root.offsetWidth; // restart the animation
    root.classList.add("wb-flash");
    setTimeout(() => root.classList.remove("wb-flash"), 600);
  }

  // -- keys and focus -------------------------------------------------------------------------
  function updatePending() {
    const n = st.unacked.size;
    pending.textContent = n ? `${n} key${n > 1 ? "s" : ""} waiting for the kernel…` : "";
    pending.dataset.n = String(n);
  }

  function updateFocus() {
    const a = document.activeElement;
    let mode = "off";
    if (isDead) mode = "dead";
    else if (a === root) mode = "on";
    else if (a === note || a === tagInput) mode = "typing";
    root.dataset.keys = mode;
    keys.textContent = {
      on: "⌨ keys on",
      off: "keys off — click here to resume",
      typing: "typing — Enter or Esc gives the keys back",
      dead: "kernel gone — keys off",
    }[mode];
  }

  function send(fields) {
    if (isDead) {
      flash();
      return;
    }
    st.seq += 1;
    const msg = {
      type: "input",
      seq: st.seq,
      token,
      shown_ms: shownAt === null ? 0 : performance.now() - shownAt,
      note: note.value,
      tags: tags.slice(),
      ...fields,
    };
    st.unacked.set(msg.seq, { msg, sentAt: performance.now() });
    model.send(msg);
    updatePending();
  }

  function addTag() {
    const t = tagInput.value.trim();
    const choices = model.get("tag_choices") || [];
    if (t && (!choices.length || choices.includes(t)) && !tags.includes(t)) tags.push(t);
    tagInput.value = "";
    renderTags();
  }

  root.addEventListener("keydown", (e) => {
    const t = e.target;
    if (t === note || t === tagInput) {
      if (e.key === "Enter" && t === tagInput) addTag();
      if (e.key === "Enter" || e.key === "Escape" || e.key === "Tab") {
        e.preventDefault();
        root.focus();
      }
      e.stopPropagation();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return; // browser and JupyterLab combinations
    e.stopPropagation(); // no key reaches the notebook's command mode
    const k = e.key;
    if (zoomed && k === "Escape") {
      e.preventDefault();
      unzoom();
      return;
    }
    if (k === "Tab") {
      e.preventDefault();
      root.focus();
      status.textContent = "Tab stays on the widget: n writes a note, t adds a tag.";
      return;
    }
    if (k in SCROLL) {
      e.preventDefault();
      const step = SCROLL[k];
      body.scrollBy({ top: Math.abs(step) < 1 ? step * body.clientHeight * (e.shiftKey ? -1 : 1) : step });
      return;
    }
    if (k === "Home" || k === "End") {
      e.preventDefault();
      body.scrollTop = k === "Home" ? 0 : body.scrollHeight;
      return;
    }
    if (k === "n") {
      e.preventDefault();
      note.focus();
      return;
    }
    if (k === "t" && (model.get("tag_choices") || []).length) {
      e.preventDefault();
      tagInput.focus();
      return;
    }
    const lower = k.toLowerCase();
    if (/^[1-9]$/.test(k) || lower === "u" || lower === "s") {
      e.preventDefault();
      if (e.repeat) return; // a held key is one press
      send({ action: "key", key: k });
    }
  });
  root.addEventListener("focusin", updateFocus);
  root.addEventListener("focusout", () => setTimeout(updateFocus, 0));
  keys.addEventListener("mousedown", (e) => e.preventDefault());
  keys.addEventListener("click", () => root.focus());

  // -- answers from the kernel, heartbeat, a kernel that is gone ------------------------------
  function onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    lastAnswer = performance.now();
    slow.style.display = "none";
    if (msg.type === "ack") {
      const entry = st.unacked.get(msg.seq);
      for (const s of [...st.unacked.keys()]) if (s <= msg.acked) st.unacked.delete(s);
      if (entry && msg.clear) {
        if (note.value === entry.msg.note) note.value = "";
        if (JSON.stringify(tags) === JSON.stringify(entry.msg.tags)) {
          tags = [];
          renderTags();
        }
      }
      updatePending();
    } else if (msg.type === "pong") {
      const sent = pingSent.get(msg.n);
      pingSent.delete(msg.n);
      // the kernel answered a ping sent after these keys without acknowledging them: lost
      for (const entry of st.unacked.values()) {
        if (sent !== undefined && entry.sentAt < sent) {
          entry.sentAt = performance.now();
          model.send(entry.msg);
        }
      }
    }
  }

  function setDead() {
    if (isDead) return;
    isDead = true;
    dead.style.display = "block";
    dead.textContent =
      "The kernel is gone (restarted or shut down): this widget records nothing any more. " +
      "Every decision it showed as saved is in the store; run the notebook again to go on " +
      "where you stopped." +
      (st.unacked.size ? ` ${st.unacked.size} key(s) typed after the last save were not handled.` : "");
    root.classList.add("wb-is-dead");
    updateFocus();
  }

  function checkDead() {
    if (el.classList.contains("jupyter-widgets-disconnected") || el.closest(".jupyter-widgets-disconnected")) {
      setDead();
    }
  }

  const heartbeat = setInterval(() => {
    if (isDead) return;
    checkDead();
    pingN += 1;
    pingSent.set(pingN, performance.now());
    try {
      model.send({ type: "ping", n: pingN });
    } catch (err) {
      setDead();
      return;
    }
    const quiet = (performance.now() - lastAnswer) / 1000;
    if (quiet > 5) {
      slow.style.display = "block";
      slow.textContent =
        `No answer from the kernel for ${quiet.toFixed(0)} s: it is busy (other cells running) or gone. ` +
        (st.unacked.size ? `${st.unacked.size} key(s) wait and will be handled in order when it answers.` : "");
    }
  }, 1500);
  const observer = new MutationObserver(checkDead);
  observer.observe(el, { attributes: true, attributeFilter: ["class"] });

  model.on("msg:custom", onMessage);
  model.on("comm_live_update", () => setTimeout(checkDead, 0));
  model.on("change:view", renderView);
  model.on("change:history", renderHistory);
  model.on("change:progress", renderProgress);
  model.on("change:status", renderStatus);
  model.on("change:taxonomy", () => {
    renderButtons();
    renderHistory();
  });
  model.on("change:tag_choices", renderTags);

  renderButtons();
  renderView();
  renderHistory();
  renderProgress();
  renderStatus();
  renderTags();
  updatePending();
  updateFocus();

  return () => {
    if (zoomed) zoomed.remove();
    clearInterval(heartbeat);
    observer.disconnect();
    model.off("msg:custom", onMessage);
  };
}

export default { render };

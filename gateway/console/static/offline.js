/* The counter when the link drops (gateway/console/offline.py). Offline, a form marked
   data-offline is not sent: the action is kept in IndexedDB with an idempotency key made here and
   the time it happened, and replayed in order when the link returns, each outcome listed (what is
   refused, to settle, in French). A replay cut short (tab closed) is sent again with the same key:
   the service answers what the first one did, never a second effect. A parcel's code is checked
   here against its salted check (never the code itself), and again by the service; a roll call
   needs someone ticked or a number, from the animation's start (and the service checks again). */
(function () {
  "use strict";
  var village = document.body && document.body.getAttribute("data-offline-village");
  var sw = navigator.serviceWorker, DAY = 864e5, dbp = null, replaying = false, signedOut = false;
  function tell(message) {
    if (sw && sw.controller) { sw.controller.postMessage(message); }
  }
  function db() {
    dbp = dbp || new Promise(function (ok, ko) {
      var open = indexedDB.open("maillage-offline", 1);
      open.onupgradeneeded = function () {
        var d = open.result;
        d.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        d.createObjectStore("outcomes", { keyPath: "seq", autoIncrement: true });
        d.createObjectStore("meta", { keyPath: "name" });
      };
      open.onsuccess = function () { ok(open.result); };
      open.onerror = function () { ko(open.error); };
    });
    return dbp;
  }
  function tx(stores, mode, work) {
    return db().then(function (d) {
      return new Promise(function (ok, ko) {
        var t = d.transaction(stores, mode), out = work(t);
        t.oncomplete = function () { ok(out && out.result !== undefined ? out.result : out); };
        t.onerror = t.onabort = function () { ko(t.error); };
      });
    });
  }
  function all(store) { return tx([store], "readonly", function (t) { return t.objectStore(store).getAll(); }); }
  function meta(name, value) {
    return tx(["meta"], value === undefined ? "readonly" : "readwrite", function (t) {
      return value === undefined ? t.objectStore("meta").get(name) : t.objectStore("meta").put({ name: name, value: value });
    });
  }
  function time(ms) { return new Date(ms).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" }); }
  function uuid() {
    if (crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }
  function codeCheck(code, salt, parcel, iterations) {
    var enc = new TextEncoder();
    return crypto.subtle.importKey("raw", enc.encode(code), "PBKDF2", false, ["deriveBits"]).then(function (key) {
      return crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: enc.encode(salt + ":" + parcel), iterations: iterations }, key, 256);
    }).then(hex);
  }
  function banner() {
    var el = document.getElementById("offline-banner");
    if (!el) {
      var main = document.getElementById("contenu");
      if (!main) { return null; }
      el = document.createElement("p");
      el.id = "offline-banner"; el.className = "alert"; el.setAttribute("role", "status"); el.hidden = true;
      main.insertBefore(el, main.firstChild);
    }
    return el;
  }
  function forgetOld() {  /* outcomes name people: kept a day at most */
    return tx(["outcomes"], "readwrite", function (t) {
      t.objectStore("outcomes").openCursor().onsuccess = function (e) {
        var c = e.target.result;
        if (c) { if (Date.now() - c.value.at > DAY) { c.delete(); } c.continue(); }
      };
    });
  }
  function show() {
    return forgetOld().then(function () {
      return Promise.all([all("queue"), meta("last_sync"), all("outcomes")]);
    }).then(function (got) {
      var queue = got[0].filter(function (i) { return i.village === village; }), last = got[1];
      var el = banner(), n = queue.length;
      var since = last ? " Dernière synchronisation : " + time(last.value) + "." : " Pas encore synchronisé sur cet appareil.";
      var count = n + (n > 1 ? " actions en attente" : " action en attente");
      if (el) {
        el.hidden = navigator.onLine && n === 0;
        el.textContent = !navigator.onLine ? "Hors ligne — " + count + "." + since
          : signedOut ? count + " : rechargez la page ou reconnectez-vous pour les envoyer." + since
          : count + " — envoi en cours." + since;
      }
      queue.forEach(function (item) { mark(item.target, "En attente d'envoi"); });
      outcomes(got[2]);
    });
  }
  function mark(target, text) {
    if (!target) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-offline]"), function (form) {
      var id = form.querySelector("input[name=order_id], input[name=parcel_id], input[name=animation_id]");
      if (id && id.value === target) {
        form.querySelector(".offline-state").textContent = text;
        form.querySelector("button[type=submit]").disabled = true;
      }
    });
  }
  function outcomes(list) {
    var box = document.getElementById("offline-outcomes");
    if (!box) { return; }
    list = list.filter(function (o) { return Date.now() - o.at < DAY; });
    box.hidden = list.length === 0;
    ["offline-settle", "offline-done"].forEach(function (id) { document.getElementById(id).textContent = ""; });
    list.forEach(function (o) {
      var li = document.createElement("li");
      li.textContent = (o.ok ? "Fait : " : "À régler : ") + o.label + " (" + time(o.happened) + ") — " + o.message;
      if (!o.ok) { li.className = "alert"; }
      document.getElementById(o.ok ? "offline-done" : "offline-settle").appendChild(li);
    });
  }
  function say(form, text) { form.querySelector(".offline-state").textContent = text; }
  function keepAction(form) {
    var data = new FormData(form), fields = {}, action = form.getAttribute("data-offline");
    data.forEach(function (value, name) {  /* a name sent several times (people present): a list */
      if (name === "csrf" || name === "idempotency_key") { return; }
      value = String(value).trim();
      fields[name] = name in fields ? [].concat(fields[name], value) : (name === "present" ? [value] : value);
    });
    var label = form.getAttribute("data-label"), checked = Promise.resolve(true);
    if (action === "hand_over_parcel") {
      var status = document.getElementById("offline-status");
      if (!fields.code) { say(form, "Saisissez le code de retrait."); return; }
      checked = codeCheck(fields.code, status.getAttribute("data-salt"), form.getAttribute("data-parcel"),
        Number(status.getAttribute("data-iterations"))).then(function (h) { return h === form.getAttribute("data-check"); });
    }
    if (action === "receive_parcel") {
      if (!fields.member_id || !fields.place) { say(form, "Choisissez l'habitant·e et l'emplacement."); return; }
      var option = form.querySelector("select[name=member_id] option:checked");
      label = "Colis reçu pour " + option.textContent;
    }
    if (action === "place_order") {
      var item = form.querySelector("select[name=item_id] option:checked"), quantity = Number(fields.quantity);
      if (!fields.member_id || !item || !(quantity >= 1 && quantity <= 999)) { say(form, "Choisissez l'habitant·e, l'article et la quantité."); return; }
      /* the day and the total the inhabitant was told: a price changed meanwhile is to settle */
      fields.delivery_date = item.getAttribute("data-day");
      fields.expected_total_cents = String(Number(item.getAttribute("data-price")) * quantity);
      label = "Commande pour " + form.querySelector("select[name=member_id] option:checked").textContent;
    }
    if (action === "register_member") {
      if (!fields.first_name || !fields.last_name || !(fields.phone || fields.address)) { say(form, "Prénom, nom, et un téléphone ou une adresse."); return; }
      label = "Inscription de " + fields.first_name + " " + fields.last_name;
    }
    if (action === "record_attendance") {
      var counted = /^\d{1,5}$/;
      if (!fields.present && !counted.test(fields.people_reached || "") && !(Number(fields.walk_ins) > 0)) {
        say(form, "Cochez les personnes venues ou donnez un nombre."); return;
      }
      if ((fields.walk_ins && !counted.test(fields.walk_ins)) || (fields.people_reached && !counted.test(fields.people_reached))) {
        say(form, "Un nombre entier, sans autre signe."); return;
      }
      if (fields.present && fields.people_reached) { say(form, "Cochez les personnes venues, ou donnez seulement un nombre : pas les deux."); return; }
      if (Date.now() < Date.parse(form.getAttribute("data-starts"))) { say(form, "Les présences se relèvent à partir du début de l'animation."); return; }
    }
    checked.then(function (right) {
      if (!right) { say(form, "Code de retrait incorrect : rien n'a été remis."); return; }
      var item = { village: village, action: action, fields: fields, label: label, idempotency_key: uuid(),
        occurred_at: new Date().toISOString(), target: fields.order_id || fields.parcel_id || fields.animation_id || null };
      return tx(["queue"], "readwrite", function (t) { t.objectStore("queue").add(item); }).then(function () {
        if (item.target) { mark(item.target, "En attente d'envoi"); } else { form.reset(); say(form, label + " : gardé, en attente d'envoi."); }
        return show();
      });
    });
  }
  function send(item) {
    var csrf = document.querySelector("input[name=csrf]");
    if (!csrf) { return Promise.resolve(false); }
    var body = new URLSearchParams();
    Object.keys(item.fields).forEach(function (name) {
      [].concat(item.fields[name]).forEach(function (value) { body.append(name, value); });
    });
    body.set("csrf", csrf.value); body.set("action", item.action);
    body.set("idempotency_key", item.idempotency_key); body.set("occurred_at", item.occurred_at);
    return fetch("/console/villages/" + item.village + "/comptoir", { method: "POST", body: body,
      credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" } }).then(function (r) {
      var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      signedOut = r.type === "opaqueredirect" || r.status === 403;
      if (!json || r.status === 503) { return false; }  // signed out, or a service away: later
      return r.json().then(function (answer) {
        return tx(["queue", "outcomes"], "readwrite", function (t) {
          t.objectStore("queue").delete(item.seq);
          t.objectStore("outcomes").add({ ok: answer.ok, label: item.label, message: answer.message,
            happened: Date.parse(item.occurred_at), at: Date.now() });
        }).then(function () { return true; });
      });
    }, function () { return false; });
  }
  function replay() {
    if (replaying || !navigator.onLine || !village) { return Promise.resolve(); }
    replaying = true;
    var run = function () {
      return all("queue").then(function (items) {
        return items.filter(function (i) { return i.village === village; }).reduce(function (going, item) {
          return going.then(function (go) { return go && send(item); });
        }, Promise.resolve(true));
      }).then(function (finished) { return finished ? meta("last_sync", Date.now()) : null; });
    };
    var done = function () { replaying = false; return show(); };
    return (navigator.locks ? navigator.locks.request("maillage-replay", run) : run()).then(done, done);
  }
  function forgetPersonal() {
    tell({ type: "forget" });
    return tx(["queue", "outcomes"], "readwrite", function (t) {
      t.objectStore("outcomes").clear();
      var queue = t.objectStore("queue");
      queue.openCursor().onsuccess = function (e) {
        var c = e.target.result;
        if (c) { c.value.label = "Action gardée avant la déconnexion"; c.update(c.value); c.continue(); }
      };
    });
  }
  if (!window.indexedDB || !window.crypto || !crypto.subtle) { return; }
  if (!village) {  // signed out (or the coordinator): nothing of a village stays on the device
    if (document.getElementById("email")) { forgetPersonal(); }
    return;
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (sw) {
      sw.register("/console/sw.js", { scope: "/console/" }).then(function () { return sw.ready; }).then(function (reg) {
        if (navigator.onLine && reg.active) { reg.active.postMessage({ type: "village", village: village }); }
      });
    }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-offline]"), function (form) {
      form.addEventListener("submit", function (e) {
        if (navigator.onLine) { return; }
        e.preventDefault(); keepAction(form);
      });
    });
    var logout = document.querySelector("form[action='/console/deconnexion']");
    if (logout) {
      logout.addEventListener("submit", function (e) {
        e.preventDefault(); forgetPersonal().then(function () { logout.submit(); }, function () { logout.submit(); });
      });
    }
    var clear = document.getElementById("offline-clear");
    if (clear) { clear.addEventListener("click", function () { tx(["outcomes"], "readwrite", function (t) { t.objectStore("outcomes").clear(); }).then(show); }); }
    window.addEventListener("online", replay);
    window.addEventListener("offline", show);
    setInterval(replay, 30000);
    show().then(replay);
  });
})();

/// The dashboard page: inline CSS and script, written here (no vendored code, works offline).
enum DashboardPage {
    static let html = #"""
        <!doctype html>
        <html lang="zh">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Kith</title>
        <style>
        body{font:14px/1.45 system-ui,"Noto Sans CJK SC",sans-serif;margin:0;background:#f6f7f9;color:#1d2430}
        header{display:flex;gap:12px;align-items:center;padding:10px 20px;background:#1d2430;color:#fff;flex-wrap:wrap}
        header h1{font-size:18px;margin:0 12px 0 0}
        header input{padding:5px 8px;border-radius:4px;border:1px solid #889;min-width:260px}
        header button{padding:5px 10px;border-radius:4px;border:0;background:#3c6df0;color:#fff;cursor:pointer}
        header .lang button{background:#444b5a}header .lang button.on{background:#3c6df0}
        main{padding:16px 20px;display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
        section{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px #0002}
        section h2{font-size:15px;margin:0 0 8px}
        table{border-collapse:collapse;width:100%}td,th{padding:3px 6px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
        td.n{text-align:right;font-variant-numeric:tabular-nums}
        .muted{color:#667}.error{color:#b00020;white-space:pre-wrap}
        .wide{grid-column:1/-1}
        svg text{font-size:12px;fill:#1d2430}
        </style>
        </head>
        <body>
        <header>
          <h1>Kith</h1>
          <input id="key" type="password" autocomplete="off" data-i18n-placeholder="key">
          <button id="connect" data-i18n="connect"></button>
          <input id="search" data-i18n-placeholder="search">
          <button id="go" data-i18n="find"></button>
          <span class="lang"><button id="lang-zh">中文</button><button id="lang-en">English</button></span>
        </header>
        <main>
          <section class="wide" id="message" hidden><p class="error" id="error"></p></section>
          <section id="overview-status"><h2 data-i18n="status"></h2><table id="status"></table></section>
          <section id="overview-segments"><h2 data-i18n="segments"></h2><div id="segments"></div></section>
          <section id="overview-grid"><h2 data-i18n="grid"></h2><div id="grid"></div></section>
          <section id="overview-funnel"><h2 data-i18n="funnel"></h2><div id="funnel"></div></section>
          <section class="wide" id="profile" hidden></section>
        </main>
        <script>
        "use strict";
        const T = {
          zh: {key:"API 密钥", connect:"连接", search:"手机号、邮箱（如 phone:138…）或客户 ID", find:"查找",
               status:"数据接入与隔离区", segments:"RFM 客户分群", grid:"R×F 热力图（颜色深浅 = 消费金额）", funnel:"生命周期漏斗",
               log:"日志事件数", checkpoint:"已投影位置", lag:"投影滞后（事件）", quarantined:"隔离行数", lastIngest:"最近接入",
               profiles:"客户数", scored:"已评分", asOf:"计算时点", identifiers:"标识", traits:"属性", stats:"统计", timeline:"时间线",
               segment:"分群", stage:"生命周期", orders:"订单", spend:"净消费", events:"事件", more:"更多", value:"值", source:"来源",
               kind:"类型", when:"时间", type:"事件类型", name:"名称", none:"无", needKey:"请输入 API 密钥。", masked:"（个人信息已脱敏）"},
          en: {key:"API key", connect:"Connect", search:"phone, email (e.g. phone:138…) or profile id", find:"Find",
               status:"Ingest and quarantine", segments:"RFM segments", grid:"R×F heat map (shade = monetary)", funnel:"Lifecycle funnel",
               log:"Events in log", checkpoint:"Projected to", lag:"Projection lag (events)", quarantined:"Quarantined lines", lastIngest:"Last ingest",
               profiles:"Profiles", scored:"Scored", asOf:"As of", identifiers:"Identifiers", traits:"Traits", stats:"Statistics", timeline:"Timeline",
               segment:"Segment", stage:"Lifecycle stage", orders:"Orders", spend:"Net spend", events:"Events", more:"More", value:"Value", source:"Source",
               kind:"Kind", when:"When", type:"Type", name:"Name", none:"none", needKey:"Enter an API key.", masked:"(personal data masked)"}
        };
        const params = new URLSearchParams(location.hash.slice(1));
        let lang = params.get("lang") || localStorage.getItem("kith.lang") || "zh";
        if (params.get("key")) sessionStorage.setItem("kith.key", params.get("key"));
        let key = sessionStorage.getItem("kith.key") || "";
        let labels = {};
        if (params.has("key")) { params.delete("key"); history.replaceState(null, "", "#" + params.toString()); }
        const $ = id => document.getElementById(id);
        function el(tag, attrs, ...children) {
          const ns = ["svg","rect","text","g"].includes(tag) ? "http://www.w3.org/2000/svg" : null;
          const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
          for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
          return e;
        }
        function t(k) { return T[lang][k] || k; }
        function applyLanguage() {
          document.documentElement.lang = lang;
          for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
          for (const e of document.querySelectorAll("[data-i18n-placeholder]")) e.placeholder = t(e.dataset.i18nPlaceholder);
          $("lang-zh").className = lang === "zh" ? "on" : ""; $("lang-en").className = lang === "en" ? "on" : "";
        }
        async function api(path) {
          const r = await fetch(path, {headers: {"Authorization": "Bearer " + key}});
          const body = await r.json();
          if (!r.ok) throw new Error((body.title || r.status) + ": " + (body.detail || ""));
          return body;
        }
        function showError(e) { $("message").hidden = !e; $("error").textContent = e ? String(e.message || e) : ""; }
        function label(k) { const l = labels[k]; return l ? (lang === "zh" ? l.label_zh : l.label_en) : k; }
        function bars(rows, id) {
          const max = Math.max(1, ...rows.map(r => r.count)), h = 24, w = 560;
          const svg = el("svg", {width: "100%", viewBox: `0 0 ${w} ${rows.length * h}`, id});
          rows.forEach((r, i) => {
            const g = el("g", {"data-key": r.key});
            g.append(el("text", {x: 0, y: i * h + 16}, label(r.key)));
            g.append(el("rect", {x: 170, y: i * h + 4, width: Math.max(1, 300 * r.count / max), height: h - 8, fill: "#3c6df0", rx: 2}));
            g.append(el("text", {x: 478, y: i * h + 16, class: "count", "data-key": r.key}, r.count.toLocaleString("en-US")));
            svg.append(g);
          });
          return svg;
        }
        function heat(grid) {
          const size = 64, pad = 40, svg = el("svg", {width: "100%", viewBox: `0 0 ${pad + size * 5 + 10} ${pad + size * 5}`, id: "heat"});
          const money = grid.map(c => Number(c.monetary)), max = Math.max(1, ...money);
          svg.append(el("text", {x: 0, y: 14}, "R ↓  F →"));
          for (const c of grid) {
            const x = pad + (c.f - 1) * size, y = pad + (5 - c.r) * size, share = Number(c.monetary) / max;
            svg.append(el("rect", {x, y, width: size - 2, height: size - 2, fill: `rgba(60,109,240,${0.08 + 0.9 * share})`,
                                   "data-r": c.r, "data-f": c.f, "data-count": c.count}));
            svg.append(el("text", {x: x + 6, y: y + 20, class: "cell-count"}, c.count));
          }
          for (let i = 1; i <= 5; i++) {
            svg.append(el("text", {x: pad + (i - 1) * size + 26, y: pad - 6}, "F" + i));
            svg.append(el("text", {x: 4, y: pad + (5 - i) * size + 36}, "R" + i));
          }
          return svg;
        }
        async function overview() {
          applyLanguage();
          if (!key) { showError(t("needKey")); return; }
          try {
            const [segments, summary, status] = await Promise.all([api("/v1/segments"), api("/v1/rfm/summary"), api("/v1/status")]);
            showError(null);
            for (const g of segments.segments.concat(segments.stages)) labels[g.key] = g;
            $("segments").replaceChildren(bars(segments.segments, "segment-bars"),
              el("p", {class: "muted"}, `${t("profiles")} `, el("span", {id: "profiles-total"}, segments.profiles),
                 ` · ${t("scored")} `, el("span", {id: "scored-total"}, segments.scored), ` · ${t("asOf")} ${segments.as_of}`));
            $("funnel").replaceChildren(bars(segments.stages, "funnel-bars"));
            $("grid").replaceChildren(heat(summary.summary.grid));
            const rows = [["log", status.log_end_position], ["checkpoint", status.checkpoint], ["lag", status.projection_lag],
                          ["quarantined", status.quarantined], ["lastIngest", status.last_ingest_at || "-"]];
            $("status").replaceChildren(...rows.map(([k, v]) => el("tr", {}, el("td", {}, t(k)), el("td", {class: "n", id: "status-" + k}, v))));
          } catch (e) { showError(e); }
          const q = params.get("q");
          if (q) { $("search").value = q; await find(q); }
        }
        function table(header, rows) {
          return el("table", {}, el("tr", {}, ...header.map(h => el("th", {}, t(h)))), ...rows.map(r => el("tr", {}, ...r.map(c => el("td", {}, c)))));
        }
        async function find(q) {
          if (!q) return;
          try {
            const path = q.includes(":") ? "/v1/profiles?identifier=" + encodeURIComponent(q) : "/v1/profiles/" + encodeURIComponent(q);
            const p = await api(path);
            const tl = await api(`/v1/profiles/${p.profile_id}/timeline?limit=20`);
            showError(null);
            const ids = [];
            for (const [kind, values] of Object.entries(p.identifiers)) for (const v of values) ids.push([kind, v.value, v.sources.join(", "), v.last_seen || ""]);
            const traits = Object.entries(p.traits).map(([k, v]) => [k, v.value, v.source, v.at]);
            const s = p.stats, rfm = p.rfm || {};
            const spend = Object.entries(s.net_spend).map(([c, v]) => v + " " + c).join(", ") || "0";
            const box = $("profile");
            box.hidden = false;
            box.replaceChildren(
              el("h2", {id: "profile-id"}, p.profile_id),
              el("p", {}, `${t("segment")}: `, el("strong", {id: "profile-segment"}, rfm.segment ? label(rfm.segment) : t("none")),
                 ` · ${t("stage")}: `, el("strong", {id: "profile-stage"}, rfm.stage ? label(rfm.stage) : "-"),
                 ` · ${t("orders")} `, el("span", {id: "profile-orders"}, s.orders), ` · ${t("spend")} ${spend} · ${t("events")} ${s.events}`),
              p.note ? el("p", {class: "muted"}, p.note) : "",
              el("h2", {}, t("identifiers")), table(["kind", "value", "source", "when"], ids),
              el("h2", {}, t("traits")), table(["name", "value", "source", "when"], traits),
              el("h2", {}, t("timeline")), table(["when", "type", "name", "source"], tl.items.map(e => [e.occurred_at, e.type, e.name, e.source])));
            box.querySelector("table").id = "profile-identifiers";
          } catch (e) { showError(e); }
        }
        $("connect").onclick = () => { key = $("key").value.trim(); sessionStorage.setItem("kith.key", key); overview(); };
        $("go").onclick = () => find($("search").value.trim());
        $("search").onkeydown = e => { if (e.key === "Enter") find($("search").value.trim()); };
        $("lang-zh").onclick = () => { lang = "zh"; localStorage.setItem("kith.lang", lang); overview(); };
        $("lang-en").onclick = () => { lang = "en"; localStorage.setItem("kith.lang", lang); overview(); };
        overview();
        </script>
        </body>
        </html>
        """#
}

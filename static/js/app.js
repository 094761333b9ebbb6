/* Ledgerline front-end glue. Plain JS, no inline handlers: the pages run under a strict CSP. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Order form: add and remove line rows of a Django formset without a reload.
  function renumber(template, index) {
    return template.replace(/__prefix__/g, String(index));
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-formset-add]");
    if (add) {
      event.preventDefault();
      var prefix = add.getAttribute("data-formset-add");
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
      var template = document.getElementById(prefix + "-empty-form");
      var body = document.getElementById(prefix + "-rows");
      var count = parseInt(total.value, 10);
      if (max && count >= parseInt(max.value, 10)) { return; }
      var holder = document.createElement("tbody");
      holder.innerHTML = renumber(template.innerHTML, count);
      var row = holder.firstElementChild;
      body.appendChild(row);
      total.value = String(count + 1);
      var first = row.querySelector("input:not([type=hidden])");
      if (first) { first.focus(); }
      document.dispatchEvent(new CustomEvent("formset:changed"));
      return;
    }
    var remove = event.target.closest("[data-formset-remove]");
    if (remove) {
      event.preventDefault();
      var line = remove.closest(".line-row");
      var del = line.querySelector("input[name$='-DELETE']");
      if (del) { del.checked = true; }
      line.classList.add("removed");
      document.dispatchEvent(new CustomEvent("formset:changed"));
    }
  });

  // Order form: the customer and SKU auto-complete (issue #30). htmx fills #customer-matches
  // and #sku-matches with buttons; a pick fills the fields, which stay editable. Without
  // JavaScript the server looks the typed customer and SKU codes up on saving.
  var skuInput = null;  // the line whose SKU field asked last
  function setValue(id, value) {
    var field = typeof id === "string" ? document.getElementById(id) : id;
    if (field) { field.value = value; field.dispatchEvent(new Event("input", {bubbles: true})); }
  }
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-sku-search]")) { skuInput = event.target; }
  });
  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-customer-search]")) {
      var id = document.getElementById("id_customer_id");
      if (id) { id.value = ""; }  // typing again un-picks the customer
    }
  });
  document.addEventListener("click", function (event) {
    var customer = event.target.closest("[data-customer-pick]");
    if (customer) {
      event.preventDefault();
      document.getElementById("id_customer_id").value = customer.getAttribute("data-id");
      document.getElementById("id_customer").value = customer.getAttribute("data-name");
      setValue("id_customer_name", customer.getAttribute("data-name"));
      setValue("id_customer_reference", customer.getAttribute("data-reference"));
      setValue("id_customer_email", customer.getAttribute("data-email"));
      setValue("id_shipping_address", customer.getAttribute("data-shipping"));
      document.getElementById("customer-matches").innerHTML = "";
      return;
    }
    var sku = event.target.closest("[data-sku-pick]");
    if (sku && skuInput) {
      event.preventDefault();
      var row = skuInput.closest(".line-row");
      skuInput.value = sku.getAttribute("data-code");
      setValue(row.querySelector("input[name$='-description']"), sku.getAttribute("data-description"));
      if (sku.getAttribute("data-price")) {
        setValue(row.querySelector("input[name$='-unit_price']"), sku.getAttribute("data-price"));
      }
      var quantity = row.querySelector("input[name$='-quantity']");
      if (quantity && !quantity.value) { setValue(quantity, "1"); }
      document.getElementById("sku-matches").innerHTML = "";
      if (quantity) { quantity.focus(); }
    }
  });

  // Live total on the order form (the server computes the real total; this is a preview).
  // Prices are read in the reader's decimal mark (data-decimal-mark: "," in German); a price
  // written any other way is left out here and refused or asked about by the server.
  function priceCents(text, mark) {
    var plain = text.trim();
    if (!/^[0-9]*[.,]?[0-9]{0,2}$/.test(plain) || plain === "" || plain === mark) { return NaN; }
    if (plain.indexOf(mark === "," ? "." : ",") !== -1) { return NaN; }
    return Math.round(parseFloat(plain.replace(mark, ".")) * 100);
  }
  function recompute() {
    var out = document.getElementById("order-total-preview");
    if (!out) { return; }
    var mark = out.dataset.decimalMark || ".";
    var cents = 0;
    document.querySelectorAll("#lines-rows .line-row").forEach(function (row) {
      // Exactly the rows the server will save: not removed (class or ticked box), filled in.
      var del = row.querySelector("input[name$='-DELETE']");
      if (row.classList.contains("removed") || (del && del.checked)) { return; }
      var q = row.querySelector("input[name$='-quantity']");
      var p = row.querySelector("input[name$='-unit_price']");
      if (!q || !p) { return; }
      var qty = parseInt(q.value, 10);
      var price = priceCents(p.value, mark);
      if (qty > 0 && price >= 0) { cents += qty * price; }
    });
    out.textContent = (cents / 100).toFixed(2).replace(".", mark);
  }
  document.addEventListener("input", recompute);
  document.addEventListener("formset:changed", recompute);
  document.addEventListener("DOMContentLoaded", recompute);

  // After an action, focus goes to the updated state panel: after its htmx swap, and on the
  // whole page the action redirected to (it shows the action's message or error).
  function focusStatePanel() {
    var panel = document.getElementById("state-panel");
    if (panel) { panel.focus({preventScroll: false}); }
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && target.id === "state-panel") { focusStatePanel(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("#messages .alert, #state-panel [data-testid=action-error]")) {
      focusStatePanel();
    }
  });

  // Reload buttons (offered on a conflict) without inline handlers.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-reload]")) { window.location.reload(); }
  });

  // Filter forms: leave empty fields out of the request, so pushed URLs stay short and shareable.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.closest("[data-drop-empty-params]")) { return; }
    var params = event.detail.parameters;
    if (params instanceof FormData) {
      Array.from(params.keys()).forEach(function (key) {
        var kept = params.getAll(key).filter(function (v) { return v !== ""; });
        params.delete(key);
        kept.forEach(function (v) { params.append(key, v); });
      });
    } else {
      Object.keys(params).forEach(function (key) {
        if (params[key] === "") { delete params[key]; }
      });
    }
  });

  // Order list, bulk actions: "select all on this page", and only the actions every ticked
  // order allows (each row's data-actions comes from the FSM; the server checks each order again).
  function bulkRows() {
    return Array.from(document.querySelectorAll("input[form='bulk-form'][name='orders']"));
  }
  function syncBulkActions() {
    var select = document.querySelector("#bulk-form select[name='action']");
    if (!select) { return; }
    var ticked = bulkRows().filter(function (box) { return box.checked; });
    document.querySelectorAll("[data-select-all]").forEach(function (all) {
      all.checked = ticked.length > 0 && ticked.length === bulkRows().length;
      all.indeterminate = ticked.length > 0 && ticked.length < bulkRows().length;
    });
    Array.from(select.options).forEach(function (option) {
      option.disabled = ticked.length > 0 && !ticked.every(function (box) {
        return (" " + box.getAttribute("data-actions") + " ").indexOf(" " + option.value + " ") !== -1;
      });
    });
    if (select.selectedOptions.length && select.selectedOptions[0].disabled) {
      var open = Array.from(select.options).find(function (option) { return !option.disabled; });
      select.value = open ? open.value : "";
    }
    var run = document.querySelector("#bulk-form [type=submit]");
    if (run) {
      run.disabled = ticked.length === 0 || !Array.from(select.options).some(function (o) { return !o.disabled; });
    }
    explainBulkActions(select, ticked);
  }
  // The bulk bar appears while rows are ticked; each action that does not apply to every ticked
  // order says for how many and why, in the workflow's words (each row's data-why, from
  // orders/why_not.py), the same reason counted once with how many orders it stands for.
  function explainBulkActions(select, ticked) {
    var bar = document.querySelector("[data-bulk-bar]");
    if (!bar) { return; }
    bar.hidden = ticked.length === 0;
    var count = bar.querySelector("[data-bulk-count]");
    var list = bar.querySelector("[data-bulk-why]");
    if (count) { count.textContent = "(" + list.dataset.ticked.replace("%(n)s", ticked.length) + ")"; }
    list.replaceChildren();
    Array.from(select.options).forEach(function (option) {
      var reasons = new Map();
      var blocked = 0;
      ticked.forEach(function (box) {
        var why = JSON.parse(box.getAttribute("data-why") || "{}")[option.value];
        if (why === undefined) { return; }
        blocked += 1;
        reasons.set(why, (reasons.get(why) || 0) + 1);
      });
      if (!blocked) { return; }
      var item = document.createElement("li");
      var name = document.createElement("strong");
      name.textContent = option.textContent;
      item.append(name, " " + list.dataset.notFor.replace("%(n)s", blocked).replace("%(m)s", ticked.length) + " ");
      item.append(Array.from(reasons, function (entry) {
        return entry[0] + (reasons.size > 1 || entry[1] !== blocked ? " (" + entry[1] + ")" : "");
      }).join(" "));
      item.setAttribute("data-action", option.value);
      list.append(item);
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-all]")) {
      bulkRows().forEach(function (box) { box.checked = event.target.checked; });
    }
    if (event.target.matches("[data-select-all], input[form='bulk-form'][name='orders']")) {
      syncBulkActions();
    }
  });
  document.addEventListener("DOMContentLoaded", syncBulkActions);
  document.addEventListener("htmx:afterSettle", syncBulkActions);
  document.addEventListener("htmx:historyRestore", syncBulkActions);

  // Panels that fold on a phone start open on a wide screen.
  // (htmx's history restore swaps the body in without a load event: open them then too.)
  function openWide() {
    if (!window.matchMedia("(min-width: 992px)").matches) { return; }
    document.querySelectorAll("details[data-open-wide]").forEach(function (panel) { panel.open = true; });
  }
  document.addEventListener("DOMContentLoaded", openWide);
  document.addEventListener("htmx:historyRestore", openWide);

  // A column header or pager link changes the list's URL: keep the filter form's sort in step,
  // so the next filter change keeps the order the user chose.
  document.addEventListener("htmx:pushedIntoHistory", function () {
    var sort = document.querySelector("#order-filter [name='sort']");
    if (!sort) { return; }
    var wanted = new URLSearchParams(window.location.search).get("sort") || "";
    if (sort.value !== wanted) { sort.value = wanted; }
  });

  // htmx error responses (409, 4xx) still carry a message fragment: let htmx swap it in.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422 || status === 400 || status === 403 || status === 404) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // "Save this view as": the list's filters change the address without reloading the page, so
  // the view saved is the query the address holds when the form is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-saved-view-form]");
    if (!form) { return; }
    var params = new URLSearchParams(window.location.search);
    params.delete("page");
    form.querySelector("[name='query']").value = params.toString();
  });

  // Scrollable regions (wide tables, command output) can be reached and scrolled with the
  // keyboard: an overflowing one gets tabindex=0 and, unless it has one, a name (its table's
  // caption or its section's heading). Regions marked in the template keep their own.
  function scrollerName(el) {
    var caption = el.querySelector("caption");
    var section = el.closest("section, .card, main");
    var heading = section && section.querySelector("h1, h2, h3");
    var text = (caption && caption.textContent) || (heading && heading.textContent) || "";
    return text.trim() || document.title;
  }
  function focusableScrollers() {
    document.querySelectorAll(".table-responsive, pre").forEach(function (el) {
      var auto = el.hasAttribute("data-scroll-auto");
      if (el.hasAttribute("tabindex") && !auto) { return; }
      if (el.scrollWidth > el.clientWidth + 1) {
        el.setAttribute("tabindex", "0");
        el.setAttribute("data-scroll-auto", "");
        if (!el.hasAttribute("aria-label") && !el.hasAttribute("aria-labelledby")) {
          el.setAttribute("role", "region");
          el.setAttribute("aria-label", scrollerName(el));
        }
      } else if (auto) {
        el.removeAttribute("tabindex");
        el.removeAttribute("data-scroll-auto");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", focusableScrollers);
  document.addEventListener("htmx:afterSettle", focusableScrollers);
  var resizing;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(focusableScrollers, 150);
  });

  // The order form (the one holding the lines): leaving it with unsaved typing asks first;
  // sending it does not.
  var unsaved = false;
  function orderForm(el) {
    var form = el && el.closest && el.closest("form");
    return form && form.querySelector("#lines-rows") ? form : null;
  }
  document.addEventListener("input", function (event) {
    if (orderForm(event.target)) { unsaved = true; }
  });
  document.addEventListener("submit", function (event) {
    if (orderForm(event.target)) { unsaved = false; }
  });
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved) { return; }
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  });
})();

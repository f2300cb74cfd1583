// A plotly figure of the tunebook dashboard (tunebook/dashboard/_plot_view.py holds the
// protocol). plotly.js reaches the page once: in the state of the view that preload_plotly
// made, or else the first view asks its kernel for it; every later view (of any dashboard,
// any kernel) reuses it.

const CONFIG = { responsive: true, displaylogo: false };

// plotly.js's UMD bundle, evaluated as a CommonJS module (no page global is read or set)
function evaluate(source) {
  const module = { exports: {} };
  new Function("module", "exports", source)(module, module.exports);
  return module.exports;
}

// plotly's first figure on a page costs several times a later one (its styles, fonts, and
// code paths made ready): paid once, off screen, as soon as plotly.js is there, not by the
// first dashboard's first point
async function warm(Plotly) {
  const scratch = document.createElement("div");
  scratch.style.cssText = "position:fixed;left:-10000px;top:0;width:600px;height:300px";
  document.body.appendChild(scratch);
  try {
    const line = { type: "scatter", x: [1, 2, 3], y: [1, 3, 2], mode: "lines+markers" };
    const layout = { xaxis: { title: { text: "x" } }, yaxis: { title: { text: "y" } } };
    await Plotly.react(scratch, [line, { ...line, y: [2, 1, 3] }], layout, CONFIG);
  } catch (error) {
    console.warn("tunebook: plotly's warm-up failed", error);
  } finally {
    Plotly.purge(scratch);
    scratch.remove();
  }
  return Plotly;
}

function ask(model) {
  return new Promise((resolve) => {
    const receive = (message) => {
      if (message.kind !== "plotly") return;
      model.off("msg:custom", receive);
      resolve(message.source);
    };
    model.on("msg:custom", receive);
    model.send({ kind: "plotly" });
  });
}

function loadPlotly(model) {
  if (!globalThis.__tunebookPlotly) {
    const carried = model.get("plotly_source");
    const source = carried ? Promise.resolve(carried) : ask(model);
    const loading = source.then(evaluate).then(warm);
    globalThis.__tunebookPlotly = loading;
    loading.catch(() => {
      // the next view asks again
      if (globalThis.__tunebookPlotly === loading) globalThis.__tunebookPlotly = undefined;
    });
  }
  return globalThis.__tunebookPlotly;
}

// Binary arrays arrive as buffers: {"buffer": i, "dtype": "float64"} stands for buffers[i].
function unpack(value, buffers) {
  if (Array.isArray(value)) return value.map((item) => unpack(item, buffers));
  if (value === null || typeof value !== "object") return value;
  if (typeof value.buffer === "number" && value.dtype && Object.keys(value).length === 2) {
    const view = buffers[value.buffer];
    const Type = value.dtype === "int32" ? Int32Array : Float64Array;
    return new Type(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
  }
  const plain = {};
  for (const [key, item] of Object.entries(value)) plain[key] = unpack(item, buffers);
  return plain;
}

function setPath(target, path, value) {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== "object") node[key] = {};
    node = node[key];
  }
  node[keys[keys.length - 1]] = value;
}

async function render({ model, el }) {
  const plot = document.createElement("div");
  plot.className = "tunebook-plot";
  el.appendChild(plot);
  const Plotly = await loadPlotly(model);
  let figure = null; // what this view draws: {data, layout}, kept in step with the kernel's
  let revision = 0;
  let drawing = Promise.resolve();
  let waiting = false; // a figure came while the view had no width: drawn when it has one
  let queued = false; // a draw waits for the one plotly is doing
  const draw = () => {
    waiting = !plot.isConnected || plot.clientWidth === 0; // not on the page, or a hidden tab
    if (waiting || queued) return; // a draw to come takes the figure as it is then
    queued = true;
    drawing = drawing
      .then(() => {
        queued = false;
        // plotly gets a figure of its own: an update that comes while it draws changes ours,
        // never what it draws (nor the revision it compares the next figure's against, which
        // would then look unchanged and not be drawn)
        revision += 1;
        const data = figure.data.map((trace) => ({ ...trace }));
        const layout = { ...structuredClone(figure.layout), datarevision: revision };
        return Plotly.react(plot, data, layout, CONFIG);
      })
      .catch((error) => console.error("tunebook: a figure failed to draw", error));
  };
  const receive = (message, buffers) => {
    if (message.kind === "react") {
      figure = { data: unpack(message.data, buffers), layout: unpack(message.layout, buffers) };
      draw();
    } else if (message.kind === "update" && figure) {
      // updates older than this view's snapshot are in it: only later ones apply
      for (const trace of unpack(message.add || [], buffers)) figure.data.push(trace);
      for (const [index, edit] of message.traces || []) {
        Object.assign(figure.data[index], unpack(edit, buffers));
      }
      for (const [path, value] of Object.entries(message.layout || {})) {
        setPath(figure.layout, path, unpack(value, buffers));
      }
      draw();
    }
  };
  model.on("msg:custom", receive);
  // a view is drawn once it is on the page with a width (a hidden tab's when it is shown),
  // and follows the panel's width after
  let width = 0;
  const observer = new ResizeObserver(() => {
    if (plot.clientWidth === 0) width = 0; // hidden: looked at again when shown
    if (!figure || plot.clientWidth === 0 || plot.clientWidth === width) return;
    width = plot.clientWidth;
    if (waiting) draw();
    else drawing = drawing.then(() => Plotly.Plots.resize(plot)).catch(() => {});
  });
  observer.observe(el);
  model.send({ kind: "snapshot" });
  return () => {
    observer.disconnect();
    model.off("msg:custom", receive);
    Plotly.purge(plot);
  };
}

// every view's model starts plotly.js on its way as soon as the page creates it, before any
// view is drawn (and a model made for that alone, preload_plotly, fetches it for the page
// before the first dashboard)
function initialize({ model }) {
  loadPlotly(model).then(
    () => model.get("plotly_source") && model.send({ kind: "plotly_loaded" }),
    (error) => console.error("tunebook: plotly.js did not load", error),
  );
}

export default { initialize, render };

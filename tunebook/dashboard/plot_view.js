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
    const loading = source.then(evaluate);
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
  const draw = () => {
    revision += 1;
    figure.layout.datarevision = revision;
    waiting = !plot.isConnected || plot.clientWidth === 0; // not on the page, or a hidden tab
    if (waiting) return;
    drawing = drawing
      .then(() => Plotly.react(plot, figure.data, figure.layout, CONFIG))
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

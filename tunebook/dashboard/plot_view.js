// A plotly figure of the tunebook dashboard (tunebook/dashboard/_plot_view.py holds the
// protocol). plotly.js reaches the page once: the first view asks its kernel for it, every
// later view (of any dashboard, any kernel) reuses it.

const CONFIG = { responsive: true, displaylogo: false };

function loadPlotly(model) {
  if (!globalThis.__tunebookPlotly) {
    globalThis.__tunebookPlotly = new Promise((resolve, reject) => {
      const receive = (message) => {
        if (message.kind !== "plotly") return;
        model.off("msg:custom", receive);
        try {
          const module = { exports: {} };
          new Function("module", "exports", message.source)(module, module.exports);
          resolve(module.exports);
        } catch (error) {
          globalThis.__tunebookPlotly = undefined; // the next view asks again
          reject(error);
        }
      };
      model.on("msg:custom", receive);
      model.send({ kind: "plotly" });
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
  const draw = () => {
    revision += 1;
    figure.layout.datarevision = revision;
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
  // a tab's view is drawn while hidden (no width): redraw at the panel's width when shown
  let width = 0;
  const observer = new ResizeObserver(() => {
    if (figure && plot.clientWidth > 0 && plot.clientWidth !== width) {
      width = plot.clientWidth;
      drawing = drawing.then(() => Plotly.Plots.resize(plot)).catch(() => {});
    }
  });
  observer.observe(el);
  model.send({ kind: "snapshot" });
  return () => {
    observer.disconnect();
    model.off("msg:custom", receive);
    Plotly.purge(plot);
  };
}

export default { render };

// gatecc pages (the Life page and the CA page): what both share, loaded before
// the page's own script: DOM and error helpers, seeding, the WebGPU device,
// the ping-pong board with its read-back, test-mode publishing and the
// interactive controls.  setTitle keeps the page's name (the <title> up to
// the first ":") and publishes the state the browser tests wait for.
"use strict";

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const TEST = query.get("test");

function setTitle(text) { document.title = document.title.split(":")[0] + ": " + text; }

let finished = false;   // once a test run has published its result, later errors cannot change it

function fail(message) {
  if (finished) return;
  const box = $("message");
  box.textContent = message;
  box.style.display = "block";
  $("status").textContent = "";
  setTitle("error: " + message);
}

// xorshift32, seeded: the same sequence as gatecc.life.web.seeded_words.
function seededWords(count, seed) {
  let s = (seed ^ 0x9e3779b9) >>> 0;
  if (s === 0) s = 1;
  const words = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    words[i] = s;
  }
  return words;
}

async function loadText(name) {
  const response = await fetch(name);
  if (!response.ok) throw new Error(`cannot load ${name} (${response.status})`);
  return response.text();
}

// The WebGPU device, or null once fail() has said why there is none.
async function gpuDevice() {
  if (!navigator.gpu) {
    fail("This browser has no WebGPU. Use a recent Chrome or Edge (or another browser with WebGPU enabled).");
    return null;
  }
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) { fail("WebGPU is present but no GPU adapter is available."); return null; }
  const device = await adapter.requestDevice();
  window.gateccDevice = device;   // keep the device (and its instance) alive after main() returns
  device.addEventListener("uncapturederror", (e) => fail("WebGPU error: " + e.error.message));
  return device;
}

// A WGSL module, or an Error naming the first compile error: createShaderModule
// alone reports errors only asynchronously, after the pipeline has failed.
async function compileShader(device, code, label) {
  const module = device.createShaderModule({ code, label });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === "error");
  if (errors.length) throw new Error(`${label}: ${errors[0].message} (line ${errors[0].lineNum})`);
  return module;
}

// A bind group giving `buffers` to bindings 0, 1, ... of the pipeline's group 0.
function bindBuffers(device, pipeline, buffers) {
  return device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

// The board both pages step: two storage buffers of nWords u32 (the step reads
// buffers[current] and writes the other), a 16-byte uniform for the step's
// parameters, and one read-back buffer.  read() copies the current buffer out.
function pingPongBoard(device, nWords) {
  const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const readback = device.createBuffer({ size: nWords * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  let reading = Promise.resolve();
  const board = {
    nWords,
    buffers: [0, 1].map(() => device.createBuffer({ size: nWords * 4, usage: STORAGE })),
    params: device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }),
    current: 0,
    generation: 0,
    load(words) {
      device.queue.writeBuffer(this.buffers[this.current], 0, words);
      this.generation = 0;
    },
    // Reads queue behind one another: a buffer being mapped cannot be mapped again, and the
    // animation's draw() and a script's readBoard() may ask at the same time.
    read() {
      const words = reading.then(() => readOnce(this.buffers[this.current]));
      reading = words.catch(() => {});
      return words;
    },
  };
  async function readOnce(buffer) {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, readback, 0, nWords * 4);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const words = new Uint32Array(readback.getMappedRange()).slice();
    readback.unmap();
    return words;
  }
  return board;
}

// One compute pass of `pipeline` with bind group `group` over `counts` workgroups, recorded into `encoder`.
function computePass(encoder, pipeline, group, ...counts) {
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(...counts);
  pass.end();
}

// draw(): read the board back and hand the words to paint(words); a call made
// while one is still reading is dropped, so animation frames never pile up read-backs.
function drawer(board, paint) {
  let drawing = false;
  return async function draw() {
    if (drawing) return;
    drawing = true;
    paint(await board.read());
    drawing = false;
  };
}

// Test mode's end: the board read back after the steps is drawn and published
// (#result holds `fields` plus the words), then the title says "done".
async function publishTest(board, draw, fields, status) {
  const words = Array.from(await board.read());
  await draw();
  $("result").textContent = JSON.stringify({ ...fields, words });
  $("status").textContent = status;
  finished = true;
  setTitle("done");
}

// The interactive page: the seeded board, the Play/Step/Randomise/Clear/speed
// controls, and an animation loop that each frame calls beforeFrame(), runs
// stepsPerFrame steps while playing, draws, and shows status(generation, rate)
// with rate the steps per second over the last half second or so.
function runInteractive(board, seed, runSteps, draw, status, beforeFrame = () => {}) {
  const nWords = board.nWords;
  board.load(seededWords(nWords, seed));
  let playing = true, stepsPerFrame = 1;
  $("play").onclick = () => { playing = !playing; $("play").textContent = playing ? "Pause" : "Play"; };
  $("step").onclick = () => { playing = false; $("play").textContent = "Play"; runSteps(1); };
  $("random").onclick = () => board.load(seededWords(nWords, (Math.random() * 2 ** 32) >>> 0));
  $("clear").onclick = () => board.load(new Uint32Array(nWords));
  $("speed").oninput = (e) => {
    stepsPerFrame = 2 ** parseInt(e.target.value, 10);
    $("speed-label").textContent = String(stepsPerFrame);
  };
  let lastTime = performance.now(), lastGeneration = 0, rate = 0;
  function frame(now) {
    beforeFrame();
    if (playing) runSteps(stepsPerFrame);
    draw();
    if (now - lastTime >= 500) {
      rate = ((board.generation - lastGeneration) * 1000) / (now - lastTime);
      lastTime = now;
      lastGeneration = board.generation;
    }
    $("status").textContent = status(board.generation, rate);
    requestAnimationFrame(frame);
  }
  setTitle("running");
  requestAnimationFrame(frame);
}

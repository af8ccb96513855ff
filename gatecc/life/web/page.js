// gatecc pages (the Life page and the CA page): what both share, loaded before
// the page's own script.  setTitle keeps the page's name (the <title> up to
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

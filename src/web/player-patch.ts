// One change to asciinema-player 3.18.0's bundle as the console serves it. The player makes a new WebAssembly terminal
// at each reset (every segment of a segmented recording starts with one) and leaves the old one to the garbage
// collector's finalizers; the JavaScript heap stays small, so they run late and the page's WebAssembly memory grew by
// about 0.7 MB per segment played (over 400 MB in a 1 GB recording played at 16x). Freeing the old terminal when it
// is replaced keeps the memory flat. If the bundle ever differs (another version), it is served as it is.
const RESET = 'this.vt=this.wasm.create(';

export function freeReplacedTerminals(js: Buffer): Buffer {
  const text = js.toString('utf8');
  if (text.split(RESET).length !== 2) return js;
  return Buffer.from(text.replace(RESET, 'this.vt?.free(),this.vt=this.wasm.create('), 'utf8');
}

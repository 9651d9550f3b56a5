// A patch to asciinema-player 3.18.0, applied to its bundle as the console serves it. Each reset of the player's
// terminal (every segment of a windowed replay, every seek) makes a new WebAssembly terminal and drops the old one,
// which is then freed only by a finalizer after a garbage collection. The page's JavaScript heap stays small, so
// collections are rare, and the WebAssembly memory (which never shrinks) grows by the dropped terminals. The patch
// frees the old terminal before making the next: a 1 GB recording played at 16x then seeked to its end peaked at
// 172 MB of renderer memory against 184 MB unpatched (test/web-replay.test.ts). It must apply exactly once: the
// version is pinned, its unit test fails on another, and the console refuses to start rather than guess.

const RESET = /(reset\(\w+,\w+,\w+=void 0\)\{return this\.logger\.debug\(`[^`]*`\),)(this\.vt=this\.wasm\.create\()/g;

export function patchPlayer(bundle: string): string {
  let count = 0;
  const patched = bundle.replace(RESET, (_m, head: string, create: string) => {
    count++;
    return `${head}this.vt.free(),${create}`;
  });
  if (count !== 1) throw new Error(`asciinema-player: the terminal reset to patch was found ${count} times, not once (another version of the player? see src/web/player-patch.ts)`);
  return patched;
}

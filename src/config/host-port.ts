// HOST:PORT strings of the configuration ("127.0.0.1:2222", "[::1]:2222") split for net.listen.
export function splitHostPort(value: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(value);
  if (!m) throw new Error(`expected HOST:PORT, got '${value}'`);
  return { host: m[1]!, port: Number(m[2]) };
}

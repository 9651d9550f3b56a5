// Audit segments are daily (`YYYY-MM-DD.jsonl`, UTC): which ones may hold events between two times.
export function segmentInRange(file: string, since?: string, until?: string): boolean {
  const day = file.slice(0, 10);
  return (!since || day >= since.slice(0, 10)) && (!until || day <= until.slice(0, 10));
}

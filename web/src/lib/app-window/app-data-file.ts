/**
 * A data file a person imports into an app: what "Export JSON" writes (`{entries}`), an
 * exported app (`{data}`), or a plain object of string values (any value that is not a
 * string is kept as its JSON).
 */
export function parseDataFile(text: string): [string, string][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('The file is not JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('The file holds no app data (a JSON object was expected).');
  }
  const file = parsed as Record<string, unknown>;
  const list = Array.isArray(file.entries)
    ? file.entries
    : Array.isArray(file.data)
      ? file.data
      : null;
  if (list) {
    return list.map((entry: unknown) => {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
        throw new Error('Each entry of the file must be a [key, value] pair.');
      }
      const value: unknown = entry[1];
      return [entry[0], typeof value === 'string' ? value : JSON.stringify(value)];
    });
  }
  return Object.entries(file).map(([key, value]) => [
    key,
    typeof value === 'string' ? value : JSON.stringify(value),
  ]);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

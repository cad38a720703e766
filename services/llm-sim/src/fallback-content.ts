import { contentTypeFor, titleFrom } from './prompt-reading';

/** Raw content for the `content` stage, of the type the request (or system prompt) names. */

const ROWS = [
  ['Aurora', 'north', 1280, '2025-01-06'],
  ['Birch', 'east', 940, '2025-01-13'],
  ['Cedar', 'south', 1575, '2025-01-20'],
  ['Delta', 'west', 610, '2025-01-27'],
  ['Ember', 'north', 1325, '2025-02-03'],
  ['Fjord', 'east', 870, '2025-02-10'],
  ['Granite', 'south', 1190, '2025-02-17'],
  ['Harbor', 'west', 1420, '2025-02-24'],
] as const;

function csv(): string {
  const lines = ['id,name,region,value,date'];
  ROWS.forEach(([name, region, value, date], i) =>
    lines.push(`${i + 1},${name},${region},${value},${date}`),
  );
  return `${lines.join('\n')}\n`;
}

function json(title: string): string {
  const items = ROWS.map(([name, region, value, date], i) => ({
    id: i + 1,
    name,
    region,
    value,
    date,
  }));
  return `${JSON.stringify({ title, generatedBy: 'hyperdesk-sim', items }, null, 2)}\n`;
}

function markdown(title: string, request: string): string {
  return `# ${title}

> ${request.replace(/\n+/g, ' ')}

This is simulated content: the Hyperdesk model simulator wrote it because no scenario
matched the request. It has the shape a real answer would have.

## Overview

| Name | Region | Value |
| --- | --- | ---: |
${ROWS.slice(0, 4)
  .map(([name, region, value]) => `| ${name} | ${region} | ${value} |`)
  .join('\n')}

## Notes

- Each entry has a name, a region and a value.
- Values are made up, but consistent from one call to the next.
- Ask again with a scenario file to get exactly the content you need.
`;
}

function html(title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title}</title>
  <style>body { font: 16px/1.6 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }</style>
</head>
<body>
  <h1>${title}</h1>
  <p>Simulated content: no scenario matched this request.</p>
  <ul>${ROWS.slice(0, 4)
    .map(([name, , value]) => `<li>${name}: ${value}</li>`)
    .join('')}</ul>
</body>
</html>
`;
}

function svg(title: string): string {
  const bars = ROWS.slice(0, 6)
    .map(
      ([, , value], i) =>
        `<rect x="${20 + i * 45}" y="${190 - value / 10}" width="30" height="${value / 10}" fill="#4f6bed"/>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200" viewBox="0 0 300 200"><title>${title}</title>${bars}</svg>\n`;
}

export function fallbackContent(request: string, system: string): string {
  const title = titleFrom(request).replace(/[<>&]/g, '');
  const type = contentTypeFor(request, system);
  switch (type) {
    case 'text/csv':
      return csv();
    case 'application/json':
      return json(title);
    case 'text/html':
      return html(title);
    case 'image/svg+xml':
      return svg(title);
    default:
      return markdown(title, request);
  }
}

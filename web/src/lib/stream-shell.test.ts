import { describe, expect, it } from 'vitest';
import { previewHtml } from './stream-shell';

describe('the streamed preview of an app', () => {
  it('never shows an unfinished tag as text', () => {
    expect(
      previewHtml('<!DOCTYPE html><html><head><style>p{}</style></head><body><h1>Hi</h1></di'),
    ).toBe('<!DOCTYPE html><html><head><style>p{}</style></head><body><h1>Hi</h1>');
    expect(previewHtml('<!DOCTYPE html><body><p>a</p></')).toBe('<!DOCTYPE html><body><p>a</p>');
    expect(previewHtml('<!DOCTYPE html><body><p class="x')).toBe('<!DOCTYPE html><body>');
  });

  it('drops prose and fences the model put around the document', () => {
    expect(previewHtml('Here you go:\n```html\n<!DOCTYPE html><body>x</body>\n```')).toBe(
      '<!DOCTYPE html><body>x</body>',
    );
  });
});

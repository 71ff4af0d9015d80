import { describe, expect, it } from 'vitest';
import { isAllowedExternalLink } from './external-links';

describe('isAllowedExternalLink', () => {
  it('opens only HTTPS links to COCO and the model zoo, without credentials or look-alike hosts', () => {
    expect(isAllowedExternalLink('https://cocodataset.org/#download')).toBe(true);
    expect(isAllowedExternalLink('https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.75_224/model.json')).toBe(true);
    expect(isAllowedExternalLink('http://cocodataset.org/')).toBe(false);
    expect(isAllowedExternalLink('https://cocodataset.org.evil.example/')).toBe(false);
    expect(isAllowedExternalLink('https://evil.example/?https://cocodataset.org')).toBe(false);
    expect(isAllowedExternalLink('https://user:pw@cocodataset.org/')).toBe(false);
    expect(isAllowedExternalLink('file:///etc/passwd')).toBe(false);
    expect(isAllowedExternalLink('javascript:alert(1)')).toBe(false);
    expect(isAllowedExternalLink('not a url')).toBe(false);
  });
});

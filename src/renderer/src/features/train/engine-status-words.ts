interface Candidate {
  name: string;
  package: string;
  reason: string | null;
}

/**
 * Why the better backends are not in use, each cause once: where two packages fail for the same reason
 * (both native tfjs packages installed without their library), one sentence names both.
 */
export function notInUseWords(candidates: readonly Candidate[]): string | null {
  const groups = new Map<string, string[]>();
  for (const c of candidates) {
    if (c.reason === null || c.reason.startsWith('Available, but')) continue;
    const template = c.package === '' ? c.reason.trim() : c.reason.trim().split(c.package).join('\u0000');
    const packages = groups.get(template) ?? [];
    if (!packages.includes(c.package)) packages.push(c.package);
    groups.set(template, packages);
  }
  if (groups.size === 0) return null;
  const sentences = [...groups].map(([template, packages]) => {
    if (packages.length === 1) return template.split('\u0000').join(packages[0]!);
    const [first, ...rest] = template.split('\u0000');
    const plural = (text: string): string =>
      text
        .replace(/^ is /, ' are ')
        .replace(/\bits\b/g, 'their')
        .replace(/\breinstall it\b/g, 'reinstall them');
    return `${first}${packages.join(' and ')}${rest.map(plural).join(packages.join(' and '))}`;
  });
  return `Not in use: ${sentences.join(' ')}`;
}

/** A training speed in words: whole images per second from 10 up, one decimal below, "image" when it reads 1. */
export function imagesPerSecondWords(perSecond: number): string {
  const shown = perSecond >= 9.95 ? perSecond.toFixed(0) : perSecond.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${shown === '1' ? 'image' : 'images'} per second`;
}

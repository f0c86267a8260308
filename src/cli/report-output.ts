/** The story drawn as one HTML file (`fwcfg report`, `fwcfg check --html`): the path checked before any work, then written. */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { BootCollector, reportHtml } from '../report/report.js';
import type { Configuration } from '../vectors/configuration.js';
import { BOOTS, storyText, wholeStory, type WholeStory } from './whole-story.js';

/** Refuses, before minutes of capture or modelling, an output path that cannot become a file. */
export function checkHtmlPath(flag: string, path: string): void {
  if (path === '') throw new UsageError('USAGE', `${flag}: give the HTML file to write`);
  const kind = (p: string) => {
    try {
      return statSync(p).isDirectory() ? 'directory' : 'file';
    } catch {
      return 'none';
    }
  };
  if (kind(path) === 'directory') throw new UsageError('USAGE', `${flag} ${path}: is a directory; name the HTML file to write (e.g. ${join(path, 'report.html')})`);
  const parent = dirname(path);
  const up = kind(parent);
  if (up !== 'directory') throw new InputError('WRITE_FAILED', `cannot write ${path}: ${up === 'none' ? `no directory ${parent}` : `${parent} is not a directory`}`);
}

/** The whole story, and the report drawn from it while its boots' guest memory was still there. */
export function storyWithReport(cfg: Configuration, progress: (m: string) => void): { story: WholeStory; html: string } {
  const collected = new BootCollector();
  const story = wholeStory(cfg, progress, { observe: collected.observe });
  progress('drawing the report');
  const html = reportHtml(story, { vector: cfg.vector, items: cfg.vector.items, boots: BOOTS, collected, text: storyText(story) });
  return { story, html };
}

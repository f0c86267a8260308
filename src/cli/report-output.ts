/** The story drawn as one HTML file (`fwcfg report`, `fwcfg check --html`; the output path is checked where the flag is parsed). */
import { BootCollector, reportHtml } from '../report/report.js';
import type { Configuration } from '../vectors/configuration.js';
import { BOOTS, storyText, wholeStory, type WholeStory } from './whole-story.js';

/** The whole story, and the report drawn from it while its boots' guest memory was still there. */
export function storyWithReport(cfg: Configuration, progress: (m: string) => void): { story: WholeStory; html: string } {
  const collected = new BootCollector();
  const story = wholeStory(cfg, progress, { observe: collected.observe });
  progress('drawing the report');
  const html = reportHtml(story, { vector: cfg.vector, items: cfg.vector.items, boots: BOOTS, collected, text: storyText(story) });
  return { story, html };
}

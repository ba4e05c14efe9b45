/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';

/** Debian's chromium (test/install-deps.sh installs it). */
export function chromiumPath(): string {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('no chromium on PATH: run `bash test/install-deps.sh` (Debian package chromium)');
}

export interface RenderedReport {
  errors: string[];
  /** Requests for anything but the file itself: a self-contained report makes none. */
  requests: string[];
  canvases: { id: string; width: number; height: number; inkedPixels: number }[];
  missingNotes: string[];
  rendered: boolean;
  text: string;
}

/**
 * Opens an HTML file in headless Chromium with the network cut off, lets its scripts run,
 * and reports what drew: script errors, outside requests, and how many pixels each canvas inked.
 */
export async function renderInChromium(file: string, screenshot?: string): Promise<RenderedReport> {
  const browser: Browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.setRequestInterception(true);
    const url = pathToFileURL(file).href;
    page.on('request', (req) => {
      if (req.url() === url || req.url().startsWith('data:')) void req.continue();
      else {
        requests.push(req.url());
        void req.abort();
      }
    });
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForFunction(() => document.body.getAttribute('data-rendered') === 'true', { timeout: 30_000 }).catch(() => undefined);
    const result = await page.evaluate(() => {
      const canvases = Array.from(document.querySelectorAll('canvas')).map((c) => {
        const ctx = c.getContext('2d');
        let inked = 0;
        if (ctx && c.width > 0 && c.height > 0) {
          const px = ctx.getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) inked++;
        }
        const box = c.closest('[id]');
        return { id: box ? box.id : '', width: c.width, height: c.height, inkedPixels: inked };
      });
      return {
        canvases,
        missingNotes: Array.from(document.querySelectorAll('.missing')).map((e) => e.textContent ?? ''),
        rendered: document.body.getAttribute('data-rendered') === 'true',
        text: document.body.innerText,
      };
    });
    if (screenshot) await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
    return { errors, requests, ...result };
  } finally {
    await browser.close();
  }
}

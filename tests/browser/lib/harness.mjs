// harness — one journey in Debian's Chromium: a fresh browser profile, a
// page watched for console errors, page errors, Content-Security-Policy
// violations (Chromium's Audits issues, read over CDP: no script is added to
// the pages), failed requests and HTTP 5xx; numbered steps with a screenshot
// each; and the checks run on every page visited (status, one <h1>, title,
// lang, landmarks, skip link, then axe-core).
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';
const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const BLOCKING = new Set(['serious', 'critical']);

// A journey's failure: which journey, which step, which page, and why.
export class JourneyError extends Error {}

// Throws unless Debian's Chromium is installed (never downloads a browser).
export function requireChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new JourneyError(`Chromium de Debian introuvable (${CHROMIUM}) : lancez « make » (scripts/setup-deps.sh ` +
      `installe le paquet chromium) ou « sudo apt-get install chromium ». Aucun navigateur n'est téléchargé.`);
  }
}

export function slug(text) {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

function short(url, base) {
  return base && url.startsWith(base) ? url.slice(base.length) || '/' : url;
}

export class Journey {
  // name: the journey's folder name; base: the platform's URL; artefacts:
  // the folder of the screenshots (its <name>/ sub-folder is emptied);
  // warnings: an array collecting axe's minor and moderate findings.
  constructor({ name, base, artefacts, warnings, timeout = 20000 }) {
    this.name = name;
    this.base = base;
    this.dir = join(artefacts, name);
    this.warnings = warnings;
    this.timeout = timeout;
    this.n = 0;
    this.stepName = '(ouverture)';
    this.problems = [];
    this.audits = 0;
    this.auditMs = 0;
    this.pagesSeen = new Set();
    this.log = [];
  }

  async open() {
    requireChromium();
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.profile = mkdtempSync(join(tmpdir(), 'appui-chromium-'));
    this.orphan = () => rmSync(this.profile, { recursive: true, force: true }); // node ending without close()
    process.on('exit', this.orphan);
    this.ctx = await chromium.launchPersistentContext(this.profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
      locale: 'fr-FR',
      timezoneId: 'Europe/Paris',
      acceptDownloads: true,
    });
    this.page = this.ctx.pages()[0] || await this.ctx.newPage();
    this.page.setDefaultTimeout(this.timeout);
    await this.watch(this.page);
    return this;
  }

  async close() {
    try { if (this.ctx) await this.ctx.close(); } finally {
      if (this.profile) rmSync(this.profile, { recursive: true, force: true });
      if (this.orphan) process.off('exit', this.orphan);
    }
  }

  problem(kind, text) {
    this.problems.push({ kind, text, url: this.page ? short(this.page.url(), this.base) : '', step: this.stepName });
  }

  // Records every console error, page error, CSP violation, failed request
  // and 5xx answer of `page` (and 4xx of its sub-resources).
  async watch(page) {
    page.on('console', m => {
      // Chromium also logs every 4xx/5xx answer as a console error: those of
      // sub-resources are reported below (response), those of pages are
      // checked against the status each step expects.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of')) {
        const loc = m.location();
        this.problem('console', `${m.text()}${loc && loc.url ? ` (${short(loc.url, this.base)}:${loc.lineNumber})` : ''}`);
      }
    });
    page.on('pageerror', e => this.problem('erreur JavaScript', String(e && e.stack || e)));
    page.on('response', r => {
      const s = r.status();
      const req = r.request();
      if (s >= 500) this.problem('HTTP 5xx', `${req.method()} ${short(r.url(), this.base)} → ${s}`);
      else if (s >= 400 && !req.isNavigationRequest()) this.problem('HTTP 4xx', `${req.method()} ${short(r.url(), this.base)} → ${s} (ressource de la page)`);
    });
    page.on('requestfailed', req => {
      const f = req.failure();
      const text = f ? f.errorText : '';
      if (text === 'net::ERR_ABORTED') return; // downloads, navigations replaced by another
      this.problem('requête échouée', `${req.method()} ${short(req.url(), this.base)} : ${text}`);
    });
    const cdp = await this.ctx.newCDPSession(page);
    cdp.on('Audits.issueAdded', ({ issue }) => {
      if (issue.code !== 'ContentSecurityPolicyIssue') return;
      const d = issue.details.contentSecurityPolicyIssueDetails || {};
      const where = d.sourceCodeLocation ? ` à ${short(d.sourceCodeLocation.url, this.base)}:${d.sourceCodeLocation.lineNumber}:${d.sourceCodeLocation.columnNumber}` : '';
      this.problem('CSP', `directive « ${d.violatedDirective} » violée (${d.contentSecurityPolicyViolationType})` +
        `${d.blockedURL ? ` par ${short(d.blockedURL, this.base)}` : ''}${where}`);
    });
    await cdp.send('Audits.enable');
    this.cdp = cdp;
  }

  url(path) { return this.base + path; }
  path() { return short(this.page.url(), this.base); }

  // Runs one numbered step; on success takes its screenshot; fails with the
  // journey, the step, the page and the problems seen during the step.
  async step(title, fn) {
    this.n += 1;
    const nn = String(this.n).padStart(2, '0');
    this.stepName = `${nn} ${title}`;
    const from = this.problems.length;
    const t0 = Date.now();
    let error = null;
    try {
      await fn();
      await this.settle();
    } catch (e) {
      error = e;
    }
    const seen = this.problems.slice(from);
    const file = join(this.dir, `${nn}-${slug(title)}${error || seen.length ? '-echec' : ''}.png`);
    // caret 'initial': hiding it would leave style="" on every field, which
    // htmx then copies when it settles a swap (a CSP violation of ours).
    try { await this.page.screenshot({ path: file, fullPage: true, caret: 'initial' }); } catch { /* the page may be gone */ }
    const ms = Date.now() - t0;
    this.log.push(`  ${error || seen.length ? '✗' : '✓'} ${this.name} › ${this.stepName} (${ms} ms)`);
    if (error || seen.length) {
      const lines = [`Parcours « ${this.name} », étape « ${this.stepName} », page ${this.path()}`];
      if (error) lines.push(`  ${String(error.message || error).split('\n').join('\n  ')}`);
      for (const p of seen) lines.push(`  [${p.kind}] ${p.text} (page ${p.url})`);
      lines.push(`  capture : ${file}`);
      throw new JourneyError(lines.join('\n'));
    }
  }

  // Lets pending answers and scripts settle (htmx swaps, module scripts).
  async settle() {
    try { await this.page.waitForLoadState('load', { timeout: this.timeout }); } catch { /* checked by the caller */ }
  }

  // Runs `action` (a click, a key press) that loads a new page; checks the
  // final answer's status and then the page (checkPage). Returns the answer.
  async navigating(action, { status = 200, label } = {}) {
    const nav = this.page.waitForNavigation({ waitUntil: 'load', timeout: this.timeout });
    await action();
    const resp = await nav;
    if (!resp) throw new Error('la page attendue ne s\'est pas chargée');
    if (resp.status() !== status) {
      throw new Error(`${resp.request().method()} ${short(resp.url(), this.base)} a répondu ${resp.status()} au lieu de ${status}`);
    }
    await this.checkPage(label);
    return resp;
  }

  async goto(path, { status = 200, label } = {}) {
    return this.navigating(() => this.page.goto(this.url(path), { waitUntil: 'commit' }), { status, label });
  }

  // The checks of every page: html lang="fr", a title, one non-empty <h1>,
  // <main id="contenu">, the skip link « Aller au contenu », then axe-core.
  async checkPage(label) {
    const facts = await this.page.evaluate(() => {
      const skip = document.querySelector('a[href="#contenu"]');
      return {
        lang: document.documentElement.lang,
        title: document.title,
        h1: [...document.querySelectorAll('h1')].map(h => h.textContent.trim()),
        main: !!document.querySelector('main#contenu'),
        skip: skip ? skip.textContent.trim() : null,
      };
    });
    const bad = [];
    if (facts.lang !== 'fr') bad.push(`<html lang> vaut « ${facts.lang} » au lieu de « fr »`);
    if (!facts.title.trim()) bad.push('la page n\'a pas de <title>');
    if (facts.h1.length !== 1 || !facts.h1[0]) bad.push(`la page a ${facts.h1.length} <h1> (${facts.h1.join(' | ')}) au lieu d'un seul, non vide`);
    if (!facts.main) bad.push('pas de <main id="contenu">');
    if (facts.skip !== 'Aller au contenu') bad.push('pas de lien d\'évitement « Aller au contenu » vers #contenu');
    if (bad.length) throw new Error(`page ${this.path()} : ${bad.join(' ; ')}`);
    await this.axe(label);
  }

  // Runs axe-core on the current document (injected by CDP evaluation, which
  // the page's CSP does not restrict); fails on serious or critical
  // violations, keeps the minor and moderate ones as warnings.
  async axe(label) {
    const t0 = Date.now();
    const has = await this.page.evaluate(() => typeof window.axe === 'object');
    if (!has) await this.page.evaluate(AXE_SOURCE);
    const violations = await this.page.evaluate(async tags => {
      const r = await window.axe.run(document, { runOnly: tags, resultTypes: ['violations'] });
      return r.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map(n => ({ target: n.target.join(' '), summary: (n.failureSummary || '').split('\n').slice(0, 3).join(' ') })),
      }));
    }, AXE_TAGS);
    this.audits += 1;
    this.auditMs += Date.now() - t0;
    const where = `${this.path()}${label ? ` (${label})` : ''}`;
    this.pagesSeen.add(where);
    const fmt = v => `[${v.impact}] ${v.id} : ${v.help} (${v.helpUrl})\n` +
      v.nodes.slice(0, 8).map(n => `      cible ${n.target} — ${n.summary}`).join('\n');
    const blocking = violations.filter(v => BLOCKING.has(v.impact));
    for (const v of violations.filter(v => !BLOCKING.has(v.impact))) {
      this.warnings.push(`${this.name} › ${where} : ${fmt(v)}`);
    }
    if (blocking.length) {
      throw new Error(`axe-core : ${blocking.length} violation(s) graves ou critiques sur ${where} :\n    ` +
        blocking.map(fmt).join('\n    '));
    }
  }

  // Waits for a download started by `action`; returns {name, data}.
  async download(action) {
    const wait = this.page.waitForEvent('download', { timeout: this.timeout });
    await action();
    const d = await wait;
    const failure = await d.failure();
    if (failure) throw new Error(`le téléchargement de ${short(d.url(), this.base)} a échoué : ${failure}`);
    return { name: d.suggestedFilename(), data: readFileSync(await d.path()), url: short(d.url(), this.base) };
  }

  // Runs `action` that sends a form to a path starting with `prefix`
  // (method `method`), htmx or plain. A plain form's new page (a 303, or a
  // GET form's answer; or an htmx HX-Redirect/HX-Location) is awaited and checked
  // (checkPage); an htmx fragment is left to the caller, who waits for the
  // swap and calls axe(). Returns {resp, navigated}.
  async submit(action, prefix, { method = 'POST', label } = {}) {
    const nav = this.page.waitForNavigation({ waitUntil: 'load', timeout: this.timeout });
    nav.catch(() => {});
    const wait = this.page.waitForResponse(r => r.request().method() === method &&
      short(r.url(), this.base).startsWith(prefix), { timeout: this.timeout });
    await action();
    const resp = await wait;
    const h = resp.headers();
    const s = resp.status();
    if (s >= 400) throw new Error(`${method} ${short(resp.url(), this.base)} a répondu ${s} au lieu de 303 ou 200`);
    if (resp.request().isNavigationRequest() || (s >= 300 && s < 400) || h['hx-redirect'] || h['hx-location']) {
      const final = await nav;
      if (final && final.status() !== 200) throw new Error(`${short(final.url(), this.base)} a répondu ${final.status()} après l'envoi du formulaire`);
      await this.checkPage(label);
      return { resp, navigated: true };
    }
    return { resp, navigated: false };
  }
}

// Asserts that `cond` holds, else fails with `message`.
export function check(cond, message) {
  if (!cond) throw new Error(message);
}

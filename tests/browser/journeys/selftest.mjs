// selftest — proves that the harness sees what it must fail on: a page
// served by the test itself (never by appui) with an inline script and an
// inline style (CSP violations), a console error, an image without text
// alternative (axe: critical) and a 5xx sub-resource. Each must be reported.
// Then a button whose focus is hidden by its stylesheet: Tab must fail.
import { check } from '../lib/harness.mjs';
import { tabTo } from '../lib/keyboard.mjs';

const ORIGIN = 'http://autotest.invalid';
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'";
const HTML = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Autotest</title>
<script src="/erreur.js"></script></head><body><a href="#contenu">Aller au contenu</a>
<main id="contenu"><h1>Autotest</h1><script>document.title = 'inline';</script>
<p style="color: red">style en ligne</p><img src="/image.png"><img src="/panne.png" alt="panne"></main></body></html>`;
const FOCUS = `<!doctype html><html lang="fr"><head><title>Focus</title><link rel="stylesheet" href="/focus.css"></head>
<body><main><h1>Focus</h1><button type="button" id="cache">Sans contour</button></main></body></html>`;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

export async function selftest(j) {
  await j.page.route(`${ORIGIN}/**`, route => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/') return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', headers: { 'Content-Security-Policy': CSP }, body: HTML });
    if (path === '/erreur.js') return route.fulfill({ status: 200, contentType: 'text/javascript', body: "console.error('erreur volontaire de l\\'autotest');" });
    if (path === '/focus') return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: FOCUS });
    if (path === '/focus.css') return route.fulfill({ status: 200, contentType: 'text/css', body: 'button:focus { outline: none; box-shadow: none; }' });
    if (path === '/image.png') return route.fulfill({ status: 200, contentType: 'image/png', body: PNG });
    return route.fulfill({ status: 500, contentType: 'text/plain', body: 'panne' });
  });
  j.base = ORIGIN;
  let error = null;
  try {
    await j.step('page piégée', async () => {
      await j.page.goto(`${ORIGIN}/`);
      await j.page.waitForLoadState('load');
      await j.checkPage('autotest');
    });
  } catch (e) {
    error = e;
  }
  const text = error ? error.message : '';
  const expect = [
    ['violation de CSP (script en ligne)', /\[CSP\] directive « script-src-elem » violée/],
    ['violation de CSP (style en ligne)', /\[CSP\] directive « style-src-attr » violée/],
    ['erreur de console', /\[console\] erreur volontaire de l'autotest/],
    ['violation axe critique (image-alt)', /\[critical\] image-alt/],
    ['réponse 5xx', /\[HTTP 5xx\] GET \/panne\.png → 500/],
  ];
  const missed = expect.filter(([, re]) => !re.test(text)).map(([what]) => what);
  let focusError = '';
  try {
    await j.page.goto(`${ORIGIN}/focus`);
    await tabTo(j, j.page.locator('#cache'), 'le bouton sans contour', { max: 3 });
  } catch (e) {
    focusError = e.message;
  }
  if (!/n'est pas visible/.test(focusError)) missed.push(`focus invisible (obtenu : ${focusError || 'aucune erreur'})`);
  check(missed.length === 0, `autotest du harnais : non détecté(s) : ${missed.join(', ')}.\nRapport obtenu :\n${text || '(aucun échec)'}`);
}

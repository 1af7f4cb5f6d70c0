// keyboard — the keyboard-only moves of the journeys: Tab / Shift+Tab to a
// control (checking on the way that every focused element shows a visible
// focus indicator and is on screen), Enter / Space, arrow keys in selects,
// typing. Locators only identify the controls; nothing is clicked.

// What the focused element is, and whether its focus can be seen: it
// matches :focus-visible and has an outline or a box-shadow, and its box is
// not empty and lies in the viewport.
function focusInfo() {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return { none: true };
  const cs = getComputedStyle(el);
  const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
  const shadow = cs.boxShadow && cs.boxShadow !== 'none';
  const r = el.getBoundingClientRect();
  const name = (el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].textContent) ||
    el.textContent || el.value || '').trim().replace(/\s+/g, ' ').slice(0, 60);
  const desc = `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.type ? ` type=${el.type}` : ''}> « ${name} »`;
  const inView = r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 &&
    r.top < window.innerHeight && r.left < window.innerWidth;
  const main = el.id === 'contenu' && el.tagName === 'MAIN'; // target of the skip link, focused by script
  return { desc, visible: main || (el.matches(':focus-visible') && (outline || shadow)), inView: main || inView };
}

export async function focused(page) {
  return page.evaluate(focusInfo);
}

// Presses Tab (Shift+Tab when back) until `locator` (one element) has the
// focus, at most `max` times. Fails if the control is missing, is not
// reached, or if an element on the way shows no visible focus.
export async function tabTo(j, locator, what, { max = 120, back = false } = {}) {
  const page = j.page;
  const n = await locator.count();
  if (n !== 1) throw new Error(`clavier : ${what} — ${n} élément(s) trouvé(s) au lieu d'un sur ${j.path()}`);
  const path = [];
  for (let i = 0; i <= max; i++) {
    if (i > 0) await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    if (!f.none) {
      path.push(f.desc);
      if (i > 0 && !f.visible) throw new Error(`clavier : le focus sur ${f.desc} n'est pas visible (ni contour ni ombre, ou pas :focus-visible) sur ${j.path()}`);
      if (i > 0 && !f.inView) throw new Error(`clavier : l'élément focalisé ${f.desc} est hors de l'écran sur ${j.path()}`);
    }
    if (await locator.evaluate(el => el === document.activeElement)) return i;
  }
  throw new Error(`clavier : ${what} n'est pas atteint en ${max} appuis sur ${back ? 'Maj+Tab' : 'Tab'} sur ${j.path()} ; ` +
    `derniers éléments focalisés : ${path.slice(-12).join(', ')}`);
}

// Moves the focused <select> `locator` to the option whose label or value
// is `choice`, with the arrow keys; checks the value then.
export async function chooseOption(j, locator, choice, what) {
  const page = j.page;
  const st = await locator.evaluate((el, c) => ({
    focused: el === document.activeElement,
    index: el.selectedIndex,
    target: [...el.options].findIndex(o => o.label.trim() === c || o.value === c || o.textContent.trim() === c),
    options: [...el.options].map(o => o.label.trim()),
  }), choice);
  if (!st.focused) throw new Error(`clavier : ${what} n'a pas le focus`);
  if (st.target < 0) throw new Error(`${what} : pas d'option « ${choice} » (options : ${st.options.join(' | ')})`);
  const key = st.target > st.index ? 'ArrowDown' : 'ArrowUp';
  for (let k = 0; k < Math.abs(st.target - st.index); k++) await page.keyboard.press(key);
  const now = await locator.evaluate(el => el.selectedIndex);
  if (now !== st.target) throw new Error(`clavier : ${what} — les flèches ont choisi l'option ${now} au lieu de ${st.target} (« ${choice} »)`);
}

// Types `text` into the focused field `locator` (checks it has the focus).
export async function typeInto(j, locator, text, what) {
  if (!(await locator.evaluate(el => el === document.activeElement))) throw new Error(`clavier : ${what} n'a pas le focus`);
  await j.page.keyboard.type(text);
}

// The skip link: the first Tab of a freshly loaded page reaches « Aller au
// contenu », visible once focused; Enter moves the focus to <main>.
export async function skipToContent(j) {
  const page = j.page;
  await page.keyboard.press('Tab');
  const f = await page.evaluate(() => {
    const el = document.activeElement;
    const r = el.getBoundingClientRect();
    return { text: el.textContent.trim(), href: el.getAttribute('href'), w: r.width, h: r.height, top: r.top, left: r.left };
  });
  if (f.text !== 'Aller au contenu' || f.href !== '#contenu') {
    throw new Error(`clavier : le premier Tab de ${j.path()} atteint « ${f.text} » et non le lien d'évitement « Aller au contenu »`);
  }
  if (f.w < 1 || f.h < 1 || f.top < 0 || f.left < 0) throw new Error(`clavier : le lien d'évitement focalisé reste invisible (boîte ${JSON.stringify(f)})`);
  await page.keyboard.press('Enter');
  const inMain = await page.evaluate(() => {
    const a = document.activeElement;
    return a && (a.id === 'contenu' || !!a.closest('main#contenu'));
  });
  if (!inMain) throw new Error('clavier : le lien d\'évitement ne porte pas le focus sur le contenu principal (#contenu)');
}

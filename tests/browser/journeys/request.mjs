// request — the journey of issue 5, with the mouse or with the keyboard
// only: a mayor files a request with an attachment; the coordination
// qualifies and dispatches it to ATD 31; the head of ATD 31 accepts it and
// assigns it to the agent; the agent writes to the mayor; the mayor sees
// the answer and the new status; the coordination exports the board (CSV
// and XLSX). Labels, ids and URLs are those of CONTRACT.md.
import { check } from '../lib/harness.mjs';
import { chooseOption, skipToContent, tabTo } from '../lib/keyboard.mjs';
import { account, field, fillField, follow, login, logout, main, menuLink, send } from './common.mjs';

const ORG = 'Haute-Garonne Ingénierie – ATD 31'; // demo org atd31 (core/demo/catalog.json)
const AGENT_NAME = 'Technicienne voirie ATD 31';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
  '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

function exactly(text) {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

// Waits until `locator` holds text matching `re` (an htmx swap, say).
async function waitText(j, locator, re, what) {
  try {
    await locator.filter({ hasText: re }).first().waitFor({ state: 'visible', timeout: j.timeout });
  } catch {
    const now = (await locator.count()) ? (await locator.first().innerText()).slice(0, 400) : '(absent)';
    throw new Error(`${what} : « ${re.source} » n'apparaît pas sur ${j.path()} (contenu : ${now})`);
  }
}

// Activates a link that answers a file (Content-Disposition: attachment).
async function downloadBy(j, kb, locator, what) {
  const n = await locator.count();
  check(n === 1, `${what} : ${n} élément(s) trouvé(s) au lieu d'un sur ${j.path()}`);
  if (kb) {
    await tabTo(j, locator, what);
    return j.download(() => j.page.keyboard.press('Enter'));
  }
  return j.download(() => locator.click());
}

export async function requestJourney(j, p, { keyboard: kb }) {
  const page = j.page;
  const how = kb ? 'clavier' : 'souris';
  const maire = account(p, 'maire@agassac.example');
  const coord = account(p, 'coordination@appui.example');
  const chef = account(p, 'chef.atd31@appui.example');
  const agent = account(p, 'agent.atd31@appui.example');
  const title = `Réfection du chemin de la Garenne (${how} ${p.stamp})`;
  const description = 'Le chemin communal de la Garenne est dégradé sur 400 mètres : nids-de-poule et accotements ' +
    'effondrés. Nous souhaitons un diagnostic de la voirie et une aide pour programmer les travaux.';
  const message = `Bonjour, je viendrai faire le diagnostic du chemin mardi prochain à 10 h (${how}).`;
  const note = `Note pour l'équipe : prévoir le relevé topographique (${how}).`;
  const file = `plan-chemin-${how}.pdf`;
  let ref = '';
  let filedStatus = '';
  const reqPage = () => `/demandes/${ref}`;

  // ---- The mayor files the request with an attachment.
  await j.step('accueil', () => j.goto('/'));
  await j.step('connexion du maire', () => login(j, kb, maire));
  await j.step('formulaire de depot', async () => {
    await follow(j, kb, menuLink(j, 'Nouvelle demande'), 'le lien « Nouvelle demande » du menu principal');
    check(j.path() === '/demandes/nouvelle', `« Nouvelle demande » mène à ${j.path()}`);
    const form = await page.evaluate(() => {
      const f = document.getElementById('depot');
      return f && { method: f.getAttribute('method'), action: f.getAttribute('action'), enctype: f.enctype };
    });
    check(form, 'pas de formulaire id="depot" sur /demandes/nouvelle');
    check(form.method === 'post' && form.action === '/demandes' && form.enctype === 'multipart/form-data',
      `le formulaire #depot n'est pas method="post" action="/demandes" enctype="multipart/form-data" : ${JSON.stringify(form)}`);
    if (kb) await skipToContent(j);
  });
  await j.step('saisie de la demande', async () => {
    await fillField(j, kb, field(j, 'Objet de la demande'), title, 'le champ « Objet de la demande »');
    await fillField(j, kb, field(j, 'Description du besoin'), description, 'le champ « Description du besoin »');
    const themes = page.getByRole('group', { name: 'Thématiques' });
    check(await themes.count() === 1, 'pas de groupe (fieldset/legend) « Thématiques »');
    const voirie = themes.getByRole('checkbox', { name: 'Voirie', exact: true });
    if (kb) {
      await tabTo(j, voirie, 'la case « Voirie »');
      await page.keyboard.press('Space');
    } else {
      check(await voirie.count() === 1, 'pas de case « Voirie » dans « Thématiques »');
      await voirie.check();
    }
    check(await voirie.isChecked(), 'la case « Voirie » n\'est pas cochée');
    const offers = page.locator('#offres-suggerees');
    check(await offers.getAttribute('aria-live') === 'polite', '#offres-suggerees n\'a pas aria-live="polite"');
    try {
      await offers.locator('input[type="radio"][name="offer"]').first().waitFor({ state: 'attached', timeout: j.timeout });
    } catch {
      throw new Error(`aucune offre proposée (radio name="offer") dans #offres-suggerees après le choix de « Voirie » ; contenu : ${(await offers.innerText()).slice(0, 300)}`);
    }
    await waitText(j, offers, /Assistance technique en voirie communale/, 'offres proposées');
    await j.axe('offres proposées');
    if (!kb) {
      // Without JavaScript, « Proposer des offres » sends the form back with
      // the offers: everything typed must be kept.
      await follow(j, kb, page.getByRole('button', { name: 'Proposer des offres', exact: true }), 'le bouton « Proposer des offres »', { label: 'offres proposées sans JavaScript' });
      check(await field(j, 'Objet de la demande').inputValue() === title, '« Proposer des offres » perd l\'objet saisi');
      check(await field(j, 'Description du besoin').inputValue() === description, '« Proposer des offres » perd la description saisie');
      check(await page.getByRole('checkbox', { name: 'Voirie', exact: true }).isChecked(), '« Proposer des offres » perd la thématique cochée');
      await waitText(j, page.locator('#offres-suggerees'), /Assistance technique en voirie communale/, 'offres proposées sans JavaScript');
    }
  });
  await j.step('piece jointe', async () => {
    const input = page.getByLabel('Pièce jointe (facultatif)', { exact: true });
    check(await input.count() === 1, 'pas de champ « Pièce jointe (facultatif) »');
    const payload = { name: file, mimeType: 'application/pdf', buffer: PDF };
    if (kb) {
      await tabTo(j, input, 'le champ « Pièce jointe (facultatif) »');
      const chooser = page.waitForEvent('filechooser', { timeout: j.timeout });
      await page.keyboard.press('Space');
      await (await chooser).setFiles(payload);
    } else {
      await input.setInputFiles(payload);
    }
    check(await input.evaluate(el => el.files.length) === 1, 'la pièce jointe n\'est pas sélectionnée');
  });
  await j.step('depot', async () => {
    await follow(j, kb, page.getByRole('button', { name: 'Déposer la demande', exact: true }), 'le bouton « Déposer la demande »');
    const m = /^\/demandes\/(\d{4}-\d{6})\?avis=deposee$/.exec(j.path());
    check(m, `après le dépôt, la page est ${j.path()} au lieu de /demandes/{ref}?avis=deposee`);
    ref = m[1];
    const notice = main(j).locator('.notice[role="status"]');
    await waitText(j, notice, /a été déposée/, 'avis de dépôt');
    check((await page.locator('h1').innerText()).trim() === title, 'le titre de la page n\'est pas l\'objet de la demande');
    filedStatus = (await page.locator('#statut').innerText()).trim();
    check(filedStatus, 'pas de statut (id="statut") sur la page de la demande');
    const doc = main(j).getByRole('link', { name: file, exact: true });
    check(await doc.count() === 1, `la pièce jointe « ${file} » n'est pas listée dans « Documents »`);
    check(new RegExp(`^/demandes/${ref}/documents/\\d+$`).test(await doc.getAttribute('href')), `le lien de « ${file} » ne mène pas à /demandes/${ref}/documents/{id}`);
  });
  await j.step('telechargement de la piece jointe', async () => {
    const d = await downloadBy(j, kb, main(j).getByRole('link', { name: file, exact: true }), `le lien « ${file} »`);
    check(Buffer.compare(d.data, PDF) === 0, `le document téléchargé (${d.name}, ${d.data.length} octets) n'est pas celui joint`);
  });
  if (!kb) {
    await j.step('tableau interdit au maire', async () => {
      await j.goto('/tableau', { status: 403, label: 'erreur 403' });
      check(await main(j).getByRole('alert').count() === 1, 'la page 403 n\'a pas de message role="alert"');
      await j.goto(reqPage());
    });
  }
  await j.step('deconnexion du maire', () => logout(j, kb));

  // ---- The coordination qualifies and dispatches it.
  await j.step('connexion de la coordination', () => login(j, kb, coord));
  await j.step('liste des demandes', async () => {
    if (!kb) {
      // The home page's « Demandes à qualifier » lists the new request.
      await follow(j, kb, main(j).getByRole('link', { name: 'Demandes à qualifier', exact: true }), 'le lien « Demandes à qualifier » de l\'accueil');
      check(await main(j).getByRole('alert').count() === 0, `« Demandes à qualifier » (${j.path()}) affiche une erreur : ${await main(j).getByRole('alert').allInnerTexts()}`);
      check(await main(j).locator('table').getByRole('link', { name: ref, exact: true }).count() === 1,
        `« Demandes à qualifier » (${j.path()}) ne liste pas la demande ${ref} qui attend sa qualification`);
    }
    await follow(j, kb, menuLink(j, 'Demandes'), 'le lien « Demandes » du menu principal');
    const table = main(j).locator('table', { has: page.locator('caption', { hasText: /demandes/i }) });
    check(await table.count() >= 1, 'la liste des demandes n\'a pas de tableau dont la légende (caption) contient « demandes »');
  });
  await j.step('demande a qualifier', async () => {
    await follow(j, kb, main(j).locator('table').getByRole('link', { name: ref, exact: true }).first(), `le lien « ${ref} » de la liste`);
    check(j.path() === reqPage(), `le lien « ${ref} » mène à ${j.path()}`);
  });
  await j.step('orientation', async () => {
    await follow(j, kb, main(j).getByRole('link', { name: 'Orienter la demande', exact: true }), 'le lien « Orienter la demande »');
    check(j.path() === `${reqPage()}/orientation`, `« Orienter la demande » mène à ${j.path()}`);
    check((await page.locator('h1').innerText()).includes('Orientation'), 'le titre de la page d\'orientation ne contient pas « Orientation »');
    const table = main(j).locator('table', { has: page.locator('caption', { hasText: /offres/i }) });
    check(await table.count() === 1, 'pas de tableau des offres classées (caption contenant « offres »)');
    await waitText(j, table, /Assistance technique en voirie communale/, 'offres classées');
  });
  await j.step('orienter vers l ATD 31', async () => {
    await follow(j, kb, main(j).getByRole('button', { name: `Orienter vers ${ORG}`, exact: true }).first(), `le bouton « Orienter vers ${ORG} »`);
    check(j.path() === `${reqPage()}?avis=orientee`, `après l'orientation, la page est ${j.path()} au lieu de ${reqPage()}?avis=orientee`);
    await waitText(j, main(j).locator('[role="status"]'), /orientée/, 'avis d\'orientation');
    const who = main(j).locator('section', { has: page.getByRole('heading', { name: 'Qui intervient' }) });
    check(await who.count() === 1, 'pas de section « Qui intervient »');
    await waitText(j, who, new RegExp(ORG), 'section « Qui intervient »');
  });
  await j.step('deconnexion de la coordination', () => logout(j, kb));

  // ---- The head of ATD 31 accepts and assigns.
  await j.step('connexion du chef de service', () => login(j, kb, chef));
  const row = () => main(j).locator('tr', { hasText: ref });
  await j.step('file de la structure', async () => {
    await follow(j, kb, menuLink(j, 'File de la structure'), 'le lien « File de la structure » du menu principal');
    check(j.path().startsWith('/file'), `« File de la structure » mène à ${j.path()}`);
    check((await page.locator('h1').innerText()).includes('File de la structure'), 'le titre de /file ne contient pas « File de la structure »');
    check(await main(j).locator('table', { has: page.locator('caption', { hasText: /file/i }) }).count() >= 1,
      'pas de tableau dont la légende contient « file » sur /file');
    check(await row().count() === 1, `la demande ${ref} n'a pas une ligne dans la file de l'ATD 31 (lignes : ${await row().count()})`);
  });
  await j.step('accepter', async () => {
    const r = await send(j, kb, row().getByRole('button', { name: 'Accepter', exact: true }), `le bouton « Accepter » de la ligne ${ref}`, `/file/${ref}/accepter`);
    const agentSelect = row().getByLabel('Agent', { exact: true });
    try {
      await agentSelect.waitFor({ state: 'visible', timeout: j.timeout });
    } catch {
      throw new Error(`après « Accepter », la ligne ${ref} n'offre pas la liste « Agent » (ligne : ${(await row().innerText()).slice(0, 300)})`);
    }
    if (!r.navigated) {
      check(await page.getByRole('status').filter({ hasText: /\S/ }).count() >= 1, 'après « Accepter » (htmx), aucune région role="status" n\'annonce le résultat');
      await j.axe('après acceptation');
    }
  });
  await j.step('assigner a l agente', async () => {
    const select = row().getByLabel('Agent', { exact: true });
    if (kb) {
      await tabTo(j, select, `la liste « Agent » de la ligne ${ref}`, { max: 400 });
      await chooseOption(j, select, agent.email, 'la liste « Agent »');
    } else {
      await select.selectOption(agent.email);
    }
    const r = await send(j, kb, row().getByRole('button', { name: 'Assigner', exact: true }), `le bouton « Assigner » de la ligne ${ref}`, `/file/${ref}/assigner`);
    await waitText(j, row(), new RegExp(AGENT_NAME), `la ligne ${ref} après « Assigner »`);
    if (!r.navigated) await j.axe('après assignation');
  });
  await j.step('deconnexion du chef de service', () => logout(j, kb));

  // ---- The agent writes to the mayor.
  await j.step('connexion de l agente', () => login(j, kb, agent));
  await j.step('demande a traiter', async () => {
    await follow(j, kb, menuLink(j, 'Demandes'), 'le lien « Demandes » du menu principal');
    await follow(j, kb, main(j).locator('table').getByRole('link', { name: ref, exact: true }).first(), `le lien « ${ref} » de la liste`);
    check(j.path() === reqPage(), `le lien « ${ref} » mène à ${j.path()}`);
  });
  await j.step('note interne', async () => {
    const internal = page.getByRole('radio', { name: 'Note interne', exact: true });
    check(await internal.count() === 1, 'pas de choix « Note interne » pour l\'agente');
    await fillField(j, kb, page.getByLabel('Votre message'), note, 'le champ « Votre message »');
    if (kb) {
      // Radios: Tab reaches the checked one, the arrows choose.
      await tabTo(j, page.getByRole('radio', { name: 'Message au demandeur', exact: true }), 'le choix « Message au demandeur »');
      await page.keyboard.press('ArrowDown');
    } else {
      await internal.check();
    }
    check(await internal.isChecked(), '« Note interne » n\'est pas choisie');
    const r = await send(j, kb, page.locator('form#message').getByRole('button', { name: 'Envoyer', exact: true }), 'le bouton « Envoyer »', `${reqPage()}/messages`);
    const thread = main(j).locator('section', { has: page.getByRole('heading', { name: 'Échanges' }) });
    const item = thread.locator('li', { hasText: note });
    await waitText(j, item, /Note interne/, 'la note interne marquée « Note interne »');
    if (!r.navigated) await j.axe('après la note interne');
  });
  await j.step('message au maire', async () => {
    const pub = page.getByRole('radio', { name: 'Message au demandeur', exact: true });
    check(await pub.count() === 1 && await pub.isChecked(), '« Message au demandeur » n\'est pas le choix par défaut');
    await fillField(j, kb, page.getByLabel('Votre message'), message, 'le champ « Votre message »');
    const r = await send(j, kb, page.locator('form#message').getByRole('button', { name: 'Envoyer', exact: true }), 'le bouton « Envoyer »', `${reqPage()}/messages`);
    const thread = main(j).locator('section', { has: page.getByRole('heading', { name: 'Échanges' }) });
    await waitText(j, thread, new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'section « Échanges » après l\'envoi');
    if (!r.navigated) await j.axe('après envoi du message');
  });
  await j.step('deconnexion de l agente', () => logout(j, kb));

  // ---- The mayor sees the answer and the new status.
  await j.step('retour du maire', () => login(j, kb, maire));
  await j.step('reponse et nouveau statut', async () => {
    await follow(j, kb, menuLink(j, 'Mes demandes'), 'le lien « Mes demandes » du menu principal');
    await follow(j, kb, main(j).locator('table').getByRole('link', { name: ref, exact: true }).first(), `le lien « ${ref} » de la liste`);
    const thread = main(j).locator('section', { has: page.getByRole('heading', { name: 'Échanges' }) });
    await waitText(j, thread, new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'le message de l\'agente vu par le maire');
    await waitText(j, thread, new RegExp(AGENT_NAME), 'l\'autrice du message vue par le maire');
    check(!(await thread.innerText()).includes('Note interne'), 'le maire voit une « Note interne »');
    check(!(await page.locator('body').innerText()).includes(note), 'le maire voit le texte de la note interne de l\'agente');
    const status = (await page.locator('#statut').innerText()).trim();
    check(status && status !== filedStatus, `le statut vu par le maire n'a pas changé (« ${status} », comme au dépôt)`);
    check(!exactly('Déposée').test(status) && !exactly('En qualification').test(status), `statut inattendu après orientation et prise en charge : « ${status} »`);
  });
  await j.step('document complementaire', async () => {
    const input = page.getByLabel('Ajouter un document', { exact: true });
    check(await input.count() === 1, 'pas de champ « Ajouter un document » sur la page de la demande');
    const payload = { name: `photos-${how}.pdf`, mimeType: 'application/pdf', buffer: PDF };
    if (kb) {
      await tabTo(j, input, 'le champ « Ajouter un document »');
      const chooser = page.waitForEvent('filechooser', { timeout: j.timeout });
      await page.keyboard.press('Space'); // Chromium opens the chooser on Space, not on Enter
      await (await chooser).setFiles(payload);
    } else {
      await input.setInputFiles(payload);
    }
    const r = await send(j, kb, main(j).getByRole('button', { name: 'Joindre', exact: true }), 'le bouton « Joindre »', `${reqPage()}/documents`);
    const docs = main(j).getByRole('link', { name: payload.name, exact: true });
    await docs.waitFor({ state: 'attached', timeout: j.timeout }).catch(() => {});
    check(await docs.count() === 1, `« ${payload.name} » n'est pas listé dans « Documents » après « Joindre » (page ${j.path()})`);
    if (!r.navigated) await j.axe('après « Joindre »');
  });
  await j.step('deconnexion finale du maire', () => logout(j, kb));

  // ---- The coordination exports the board.
  await j.step('connexion de la coordination pour l export', () => login(j, kb, coord));
  await j.step('tableau de bord', async () => {
    await follow(j, kb, menuLink(j, 'Tableau de bord'), 'le lien « Tableau de bord » du menu principal');
    check(j.path().startsWith('/tableau'), `« Tableau de bord » mène à ${j.path()}`);
    const theme = main(j).getByLabel('Thématique', { exact: true });
    check(await theme.count() === 1, 'pas de liste « Thématique » dans les filtres du tableau de bord');
    if (kb) {
      await tabTo(j, theme, 'la liste « Thématique »');
      await chooseOption(j, theme, 'Voirie', 'la liste « Thématique »');
    } else {
      await theme.selectOption({ label: 'Voirie' });
    }
    const r = await send(j, kb, main(j).getByRole('button', { name: 'Filtrer', exact: true }), 'le bouton « Filtrer »', '/tableau?', { method: 'GET' });
    if (!r.navigated) {
      // htmx: the results are swapped in place and the address pushed.
      await page.waitForURL(/[?&]theme=voirie(&|$)/, { timeout: j.timeout }).catch(() => {});
      await main(j).getByRole('link', { name: 'Exporter en CSV', exact: true }).and(page.locator('[href*="theme=voirie"]'))
        .waitFor({ state: 'attached', timeout: j.timeout }).catch(() => {});
      await j.axe('filtré (htmx)');
    }
    check(/[?&]theme=voirie(&|$)/.test(j.path()), `après « Filtrer », l'adresse ${j.path()} ne porte pas theme=voirie`);
  });
  await j.step('export CSV', async () => {
    const link = main(j).getByRole('link', { name: 'Exporter en CSV', exact: true });
    const href = (await link.count()) === 1 ? await link.getAttribute('href') : '';
    check(/^\/tableau\/export\?/.test(href) && /format=csv/.test(href) && /theme=voirie/.test(href),
      `le lien « Exporter en CSV » (${href}) ne mène pas à /tableau/export?format=csv avec les filtres (theme=voirie)`);
    const d = await downloadBy(j, kb, link, 'le lien « Exporter en CSV »');
    check(/\.csv$/i.test(d.name), `le fichier exporté s'appelle « ${d.name} » (attendu : .csv)`);
    const text = d.data.toString('utf8');
    check(text.includes(ref), `l'export CSV ne contient pas la demande ${ref}`);
    check(text.includes(title), `l'export CSV ne contient pas l'objet « ${title} »`);
  });
  await j.step('export XLSX', async () => {
    const d = await downloadBy(j, kb, main(j).getByRole('link', { name: 'Exporter en XLSX', exact: true }), 'le lien « Exporter en XLSX »');
    check(/\.xlsx$/i.test(d.name), `le fichier exporté s'appelle « ${d.name} » (attendu : .xlsx)`);
    check(d.data.length > 100 && d.data.subarray(0, 2).toString('latin1') === 'PK', 'l\'export XLSX n\'est pas un classeur (zip)');
  });
  if (!kb) {
    await j.step('statistiques', async () => {
      await follow(j, kb, menuLink(j, 'Statistiques'), 'le lien « Statistiques » du menu principal');
      check(j.path().startsWith('/statistiques'), `« Statistiques » mène à ${j.path()}`);
      const unnamed = await main(j).locator('canvas:not([aria-label])').count();
      check(unnamed === 0, `${unnamed} graphique(s) <canvas> sans aria-label sur /statistiques`);
      check(await main(j).locator('table').count() >= 1, 'les statistiques ne sont pas aussi données en tableaux');
    });
    await j.step('incidents', async () => {
      await follow(j, kb, menuLink(j, 'Incidents'), 'le lien « Incidents » du menu principal');
      check(j.path().startsWith('/incidents'), `« Incidents » mène à ${j.path()}`);
    });
  }
  await j.step('deconnexion de la coordination', () => logout(j, kb));
}

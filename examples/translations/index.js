// Translate a page with strings kept in KV. Keys are `<lang>:<name>`, uploaded
// in bulk (translations.json). The page is a template with {{name}}
// placeholders; one bulk get([...]) reads every string for the chosen language.
// (HTMLRewriter would do this on the fly; plain string templating works too.)
const TEMPLATE = `<!DOCTYPE html>
<html lang="{{lang}}">
  <head><meta charset="utf-8"><title>{{title}}</title></head>
  <body>
    <h1>{{headline}}</h1>
    <p>{{intro}}</p>
    <a href="/signup">{{signup}}</a>
  </body>
</html>
`;
const NAMES = [...new Set([...TEMPLATE.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]))].filter((n) => n !== 'lang');
const SUPPORTED = ['en', 'fr', 'de', 'ja'];

function pickLanguage(request) {
  const asked = new URL(request.url).searchParams.get('lang');
  if (SUPPORTED.includes(asked)) return asked;
  for (const part of (request.headers.get('Accept-Language') || '').split(',')) {
    const lang = part.split(';')[0].trim().slice(0, 2).toLowerCase();
    if (SUPPORTED.includes(lang)) return lang;
  }
  return 'en';
}

const escape = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export default {
  async fetch(request, env) {
    const lang = pickLanguage(request);
    const keys = NAMES.map((n) => `${lang}:${n}`);
    const fallback = NAMES.map((n) => `en:${n}`);
    const [strings, english] = await Promise.all([env.TRANSLATIONS.get(keys), env.TRANSLATIONS.get(fallback)]);
    const html = TEMPLATE.replace(/\{\{(\w+)\}\}/g, (_, name) => {
      if (name === 'lang') return lang;
      const value = strings.get(`${lang}:${name}`) ?? english.get(`en:${name}`) ?? name;
      return escape(value);
    });
    return new Response(html, {
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Language': lang, Vary: 'Accept-Language' },
    });
  },
};

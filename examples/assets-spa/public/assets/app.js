// A tiny client-side router: / lists the notes, /notes/:id shows one.
// Deep links work because the server answers unknown paths with index.html.
const app = document.getElementById('app');

const escape = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function api(path, init) {
  const response = await fetch(`/api${path}`, init);
  return response.status === 204 ? null : response.json();
}

async function showList() {
  const notes = await api('/notes');
  app.innerHTML = `
    <form id="new"><input name="text" placeholder="Write a note" autofocus><button>Add</button></form>
    <ul>${notes.map((n) => `<li><a href="/notes/${n.id}" data-link>${escape(n.text)}</a></li>`).join('')}</ul>`;
  app.querySelector('#new').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = new FormData(event.target).get('text');
    await api('/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
    showList();
  });
}

async function showNote(id) {
  const note = await api(`/notes/${id}`);
  if (note.error) {
    app.innerHTML = `<p>No note ${escape(id)}.</p>`;
    return;
  }
  app.innerHTML = `<article><p>${escape(note.text)}</p><small>${note.created}</small></article>
    <button id="delete">Delete</button>`;
  app.querySelector('#delete').addEventListener('click', async () => {
    await api(`/notes/${id}`, { method: 'DELETE' });
    navigate('/');
  });
}

function route() {
  const match = location.pathname.match(/^\/notes\/(\d+)$/);
  return match ? showNote(match[1]) : showList();
}

function navigate(path) {
  history.pushState(null, '', path);
  route();
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (!link) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});
window.addEventListener('popstate', route);
route();

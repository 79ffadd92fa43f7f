// A small validated JSON API: hono for routing, zod for validation, in
// TypeScript, run by `hearth dev` with no build step.
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { NewTodo, type Todo } from './schema';

const todos = new Map<number, Todo>();
let nextId = 1;

const app = new Hono();

app.get('/', (c) => c.json({ name: 'hono-zod', routes: ['GET /todos', 'POST /todos', 'GET /todos/:id', 'PATCH /todos/:id/done'] }));

app.get('/todos', (c) => c.json([...todos.values()]));

app.post('/todos', async (c) => {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new HTTPException(400, { message: 'body must be JSON' });
  }
  const parsed = NewTodo.safeParse(body);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    return c.json({ errors }, 422);
  }
  const todo: Todo = { id: nextId++, done: false, ...parsed.data };
  todos.set(todo.id, todo);
  return c.json(todo, 201);
});

app.get('/todos/:id{[0-9]+}', (c) => {
  const todo = todos.get(Number(c.req.param('id')));
  return todo ? c.json(todo) : c.json({ error: 'not found' }, 404);
});

app.patch('/todos/:id{[0-9]+}/done', (c) => {
  const todo = todos.get(Number(c.req.param('id')));
  if (!todo) return c.json({ error: 'not found' }, 404);
  todo.done = true;
  return c.json(todo);
});

app.onError((err, c) => {
  if (err instanceof HTTPException) return c.json({ error: err.message }, err.status);
  return c.json({ error: 'internal error' }, 500);
});

export default app;

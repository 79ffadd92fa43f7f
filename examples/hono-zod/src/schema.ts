import { z } from 'zod';

export const NewTodo = z.object({
  title: z.string().trim().min(1, 'title must not be empty').max(200),
  tags: z.array(z.string().min(1)).max(10).default([]),
  due: z.iso.date().optional(),
});

export type NewTodo = z.infer<typeof NewTodo>;

export interface Todo extends NewTodo {
  id: number;
  done: boolean;
}

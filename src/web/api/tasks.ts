import { apiRequest } from './client.ts';

/** Tasks for staff, optionally about a patient (see src/modules/tasks/routes.ts). */

export type TaskPriority = 'low' | 'normal' | 'high' | 'urgent';
export type TaskStatus = 'open' | 'done' | 'cancelled';

export interface Task {
  id: string;
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: TaskPriority;
  dueAt: string | null;
  overdue: boolean;
  patient: { id: string; givenName: string; familyName: string } | null;
  assignee: { id: string; name: string } | null;
  createdAt: string;
  completedAt: string | null;
}

export interface TaskQuery {
  assignee?: 'me' | 'unassigned' | (string & {});
  status?: TaskStatus | 'all';
  overdue?: boolean;
  patientId?: string;
}

export interface NewTask {
  title: string;
  description?: string;
  patientId?: string;
  assigneeId?: string;
  dueAt?: string;
  priority?: TaskPriority;
}

export const fetchTasks = (query: TaskQuery, signal?: AbortSignal): Promise<{ items: Task[] }> =>
  apiRequest('/api/tasks', {
    query: {
      assignee: query.assignee,
      status: query.status,
      overdue: query.overdue ? 'true' : undefined,
      patientId: query.patientId,
    },
    signal,
  });

export const createTask = (task: NewTask): Promise<Task> => apiRequest('/api/tasks', { method: 'POST', body: task });

export const changeTaskStatus = (id: string, status: TaskStatus): Promise<Task> =>
  apiRequest(`/api/tasks/${encodeURIComponent(id)}`, { method: 'PATCH', body: { status } });

import { useCallback } from 'react';
import { fetchTasks, type Task, type TaskQuery } from '../api/tasks.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

/** A task list (mine, overdue, a patient's ...), open ones by due date first. */
export function useTasks(query: TaskQuery) {
  const { assignee, status, overdue, patientId } = query;
  const load = useCallback(
    async (signal: AbortSignal): Promise<Task[]> => (await fetchTasks({ assignee, status, overdue, patientId }, signal)).items,
    [assignee, status, overdue, patientId],
  );
  return useApiQuery(load);
}

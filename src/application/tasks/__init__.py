"""Use cases on tasks, one verb each."""

from application.tasks.bulk import ActOnTasks, BulkAction
from application.tasks.changes import MoveTask, ReplaceTask, ToggleTask, UpdateTask
from application.tasks.create import CreateTask
from application.tasks.create_once import CreateTaskOnce
from application.tasks.delete import DeleteTask
from application.tasks.get import GetTask
from application.tasks.listing import ListTasks, TaskPage
from application.tasks.reports import GetTaskStats, ListTags

__all__ = [
    "ActOnTasks",
    "BulkAction",
    "CreateTask",
    "CreateTaskOnce",
    "DeleteTask",
    "GetTask",
    "GetTaskStats",
    "ListTags",
    "ListTasks",
    "MoveTask",
    "ReplaceTask",
    "TaskPage",
    "ToggleTask",
    "UpdateTask",
]

"""Use cases on tasks, one verb each."""

from application.tasks.changes import ReplaceTask, ToggleTask, UpdateTask
from application.tasks.create import CreateTask
from application.tasks.delete import DeleteTask
from application.tasks.get import GetTask
from application.tasks.listing import ListTasks, TaskPage

__all__ = [
    "CreateTask",
    "DeleteTask",
    "GetTask",
    "ListTasks",
    "ReplaceTask",
    "TaskPage",
    "ToggleTask",
    "UpdateTask",
]

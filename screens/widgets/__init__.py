"""The console's widgets: one class per module, each fed view values by its screen."""

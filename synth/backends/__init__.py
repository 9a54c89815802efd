"""Back ends: schedule frames on `FrameMaker`s (this process, a process pool, Ray actors) and
nothing else. Each returns (notes per finished frame, reason per frame left out)."""

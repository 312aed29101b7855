"""A test benchmark that fails halfway: ``start`` then ``step`` x 5; the step that reaches
``fail_at`` raises (``how: raise``) or kills the whole process (``how: exit``)."""

"""The application layer: the operations a user runs, as plain functions.

The command line (:mod:`cscperf.cli`), the web service (:mod:`cscperf.web`) and background jobs
call these and nothing below them for a whole job, so a month's figures, judgements and pack are
assembled one way whoever asks. Functions here return values and sentences; they never print.

* :mod:`cscperf.app.month`: a month of a build: the targets and benchmarks that apply, the
  evaluated month, the committee pack and its files.
"""

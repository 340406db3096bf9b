"""Requests released at once, each in a thread of its own: the races of tests/account_races.py and
tests/nomination_races.py (run as scripts, so this module sits beside them)."""

import threading

from django.db import connections


def burst(requests) -> list:
    """Run each request (a function of no argument) in a thread of its own, all released at once; return answers."""
    start = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def run(i, request):
        try:
            start.wait()
            answers[i] = request()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers

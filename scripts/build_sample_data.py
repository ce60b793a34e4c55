#!/usr/bin/env python3
"""Deterministic generator for the sft-ablate bundled sample data.

Everything in this file was written for sft-ablate (Apache-2.0). It needs only
the Python standard library:

    python3 scripts/build_sample_data.py

writes, into sft_ablate/sample_data/:

    human.jsonl          concise, plainly worded answers
    synthetic.jsonl      verbose, structured "teacher model" style answers
    eval_mc.jsonl        multiple-choice items for a small local benchmark
    arena_prompts.jsonl  two-turn open-ended prompts for a pairwise judge
    seed_tasks.jsonl     self-instruct style seed tasks

and then validates all of them (see ``validate``). Every computed answer
(arithmetic, unit conversions, dates, string operations, sorting, the example
outputs of code snippets) is computed here rather than typed by hand.
"""

import calendar
import contextlib
import datetime as dt
import io
import json
import os
import random
import re
import statistics
from collections import Counter, OrderedDict
from decimal import Decimal, ROUND_HALF_UP
from fractions import Fraction

HERE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sft_ablate", "sample_data")
rng = random.Random(0)

# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

PEOPLE = [
    ("Maya", "she", "her", "her"), ("Tomás", "he", "him", "his"),
    ("Priya", "she", "her", "her"), ("Kenji", "he", "him", "his"),
    ("Amara", "she", "her", "her"), ("Lena", "she", "her", "her"),
    ("Omar", "he", "him", "his"), ("Sofia", "she", "her", "her"),
    ("Daniel", "he", "him", "his"), ("Aisha", "she", "her", "her"),
    ("Noah", "he", "him", "his"), ("Mei", "she", "her", "her"),
    ("Fatima", "she", "her", "her"), ("Lucas", "he", "him", "his"),
    ("Ingrid", "she", "her", "her"), ("Ravi", "he", "him", "his"),
    ("Zoe", "she", "her", "her"), ("Mateo", "he", "him", "his"),
    ("Hana", "she", "her", "her"), ("Samuel", "he", "him", "his"),
    ("Nadia", "she", "her", "her"), ("Elijah", "he", "him", "his"),
    ("Yuki", "she", "her", "her"), ("Grace", "she", "her", "her"),
    ("Kwame", "he", "him", "his"), ("Leila", "she", "her", "her"),
    ("Arjun", "he", "him", "his"), ("Chloe", "she", "her", "her"),
    ("Felix", "he", "him", "his"), ("Rosa", "she", "her", "her"),
]


class P:
    """A person with pronouns, for word problems."""

    def __init__(self, t):
        self.name, self.sub, self.obj, self.pos = t

    @property
    def Sub(self):
        return self.sub.capitalize()

    @property
    def Pos(self):
        return self.pos.capitalize()


def person(exclude=()):
    while True:
        t = rng.choice(PEOPLE)
        if t[0] not in exclude:
            return P(t)


def to_decimal(q):
    q = Fraction(q)
    return Decimal(q.numerator) / Decimal(q.denominator)


def num(q, places=2, commas=True):
    """Format a number, rounded half-up to `places`, trailing zeros removed.

    Returns (text, exact) where exact says whether no rounding happened."""
    q = Fraction(q)
    d = to_decimal(q).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    exact = Fraction(d) == q
    if d == 0:
        d = Decimal(0)
    s = f"{d:,f}" if commas else f"{d:f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s, exact


def n(q, places=2):
    return num(q, places)[0]


def money(q):
    d = to_decimal(q).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Fraction(d) == Fraction(q), q
    return f"${d:,.2f}"


def plural(k, word, pl=None):
    return f"{k} {word if k == 1 else (pl or word + 's')}"


def join_and(items):
    items = list(items)
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + ", and " + items[-1]


def ordinal(k):
    if 10 <= k % 100 <= 20:
        suf = "th"
    else:
        suf = {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suf}"


MONTHS = [None, "January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def d_long(d):
    return f"{MONTHS[d.month]} {d.day}, {d.year}"


def d_uk(d):
    return f"{d.day} {MONTHS[d.month]} {d.year}"


def d_iso(d):
    return d.isoformat()


def d_md(d):
    return f"{MONTHS[d.month]} {d.day}"


def d_any(d):
    return rng.choice([d_long, d_long, d_uk, d_iso])(d)


def rand_date(y0=1995, y1=2030, max_day=31):
    while True:
        y = rng.randint(y0, y1)
        m = rng.randint(1, 12)
        day = rng.randint(1, min(max_day, calendar.monthrange(y, m)[1]))
        return dt.date(y, m, day)


# --------------------------------------------------------------------------
# Style rendering: the only thing that differs between the two files is the
# assistant voice. "human" is concise and plain; "synthetic" imitates a
# teacher LLM (opener, short intro, steps or bullets, closing line).
# --------------------------------------------------------------------------

OPENERS = ["Sure! ", "Sure! ", "Certainly! ", "Of course! ",
           "Happy to help! ", "", "", ""]
CLOSERS = [
    "I hope this helps!",
    "Let me know if you have any other questions!",
    "Feel free to ask if you'd like more detail.",
    "Let me know if you'd like more examples.",
    "Hope that's useful!",
    "",
    "",
]


def opener(question=False):
    """question=True allows "Great question!", which only fits real questions."""
    return rng.choice(OPENERS + (["Great question! "] if question else []))


def closer():
    c = rng.choice(CLOSERS)
    return ("\n\n" + c) if c else ""


def numbered(lines):
    return "\n".join(f"{i}. {t}" for i, t in enumerate(lines, 1))


def bullets(lines):
    return "\n".join(f"- {t}" for t in lines)


USED_PROMPTS = set()


def claim(text):
    """Reserve a user prompt; False if it was already used anywhere."""
    key = " ".join(text.lower().split())
    if key in USED_PROMPTS:
        return False
    USED_PROMPTS.add(key)
    return True


def item(task, prompt, human, synth, follow=None):
    """One conversation in both voices. follow = (prompt2, human2, synth2)."""
    return {"task": task, "prompt": prompt, "human": human, "synth": synth,
            "follow": follow}


# --------------------------------------------------------------------------
# 1. Arithmetic word problems (all numbers computed)
# --------------------------------------------------------------------------

def a_apples():
    p = person()
    a, b = rng.randint(3, 9), rng.choice([6, 8, 10, 12, 15])
    c = rng.randint(4, a * b // 2)
    fruit = rng.choice(["apples", "oranges", "peaches", "lemons"])
    ans = a * b - c
    d = dict(
        q=f"{p.name} buys {a} bags of {fruit} with {b} {fruit} in each bag. {p.Sub} gives {c} {fruit} to {p.pos} neighbor. How many {fruit} does {p.sub} have left?",
        work=f"{a} × {b} = {a*b} {fruit}. {a*b} − {c} = {ans}.",
        steps=[f"Total {fruit} bought: {a} bags × {b} = {a*b}.",
               f"Subtract the ones given away: {a*b} − {c} = {ans}."],
        concl=f"{p.name} has {ans} {fruit} left.", ans=str(ans))
    a2 = a + 2
    ans2 = a2 * b - c
    d["follow"] = dict(
        q=f"What if {p.sub} had bought {a2} bags instead?",
        work=f"{a2} × {b} = {a2*b}, minus {c} = {ans2}.",
        steps=[f"New total: {a2} bags × {b} = {a2*b} {fruit}.",
               f"Subtract the {c} given away: {a2*b} − {c} = {ans2}."],
        concl=f"With {a2} bags, {p.name} would have {ans2} {fruit} left.", ans=str(ans2))
    return d


def a_train():
    s = rng.choice([60, 72, 80, 85, 90, 96, 110, 120])
    h = rng.choice([2, 3, 4, 5])
    m = rng.choice([0, 30, 15, 45])
    t = Fraction(h) + Fraction(m, 60)
    dist = s * t
    dur = plural(h, "hour") + (f" and {m} minutes" if m else "")
    tt = n(t)
    return dict(
        q=rng.choice([
            f"A train travels at a steady {s} km/h for {dur}. How many kilometers does it cover?",
            f"If a freight train keeps an average speed of {s} km per hour, how far does it go in {dur}?"]),
        work=f"{dur} = {tt} h. {s} × {tt} = {n(dist)} km.",
        steps=([f"Convert the time to hours: {m} minutes is {n(Fraction(m, 60))} of an hour, so the trip lasts {tt} hours."] if m else [])
        + [f"Distance = speed × time = {s} km/h × {tt} h = {n(dist)} km."],
        concl=f"The train covers {n(dist)} kilometers.", ans=n(dist))


SHOP_ITEMS = [("a sandwich", 550, 950), ("a coffee", 250, 495), ("a muffin", 225, 375),
              ("a notebook", 300, 650), ("a pack of batteries", 450, 899),
              ("a bottle of water", 125, 250), ("a bunch of bananas", 150, 320),
              ("a magazine", 400, 799), ("a box of pencils", 275, 525)]


def a_change():
    p = person()
    picks = rng.sample(SHOP_ITEMS, rng.choice([2, 3]))
    prices = [Fraction(rng.randrange(lo, hi, 5), 100) for _, lo, hi in picks]
    total = sum(prices)
    bill = 20 if total < 18 else 50
    ch = bill - total
    desc = join_and(f"{nm} for {money(pr)}" for (nm, _, _), pr in zip(picks, prices))
    return dict(
        q=f"{p.name} buys {desc}. {p.Sub} pays with a ${bill} bill. How much change should {p.sub} get?",
        work=f"{' + '.join(money(x) for x in prices)} = {money(total)}. ${bill} − {money(total)} = {money(ch)}.",
        steps=[f"Add up the prices: {' + '.join(money(x) for x in prices)} = {money(total)}.",
               f"Subtract from the amount paid: ${bill}.00 − {money(total)} = {money(ch)}."],
        concl=f"{p.name} should get {money(ch)} in change.", ans=money(ch))


def a_discount():
    item_ = rng.choice(["jacket", "pair of running shoes", "desk lamp", "backpack",
                        "coffee maker", "board game", "winter coat"])
    price = rng.choice([40, 60, 80, 120, 75, 90, 150, 64, 45, 250])
    pct = rng.choice([10, 15, 20, 25, 30])
    off = Fraction(price * pct, 100)
    sale = price - off
    d = dict(
        q=rng.choice([
            f"A {item_} normally costs ${price}. It's on sale for {pct}% off. What is the sale price?",
            f"The store is taking {pct}% off a {item_} that usually sells for ${price}. How much will it cost after the discount?"]),
        work=f"{pct}% of ${price} = {money(off)}. ${price} − {money(off)} = {money(sale)}.",
        steps=[f"Find the discount: {pct}% of ${price} = {price} × {n(Fraction(pct, 100))} = {money(off)}.",
               f"Subtract it from the original price: ${price} − {money(off)} = {money(sale)}."],
        concl=f"The sale price is {money(sale)}.", ans=money(sale))
    pct2 = 40 if pct != 40 else 50
    off2 = Fraction(price * pct2, 100)
    d["follow"] = dict(
        q=f"And what would the {item_} cost at {pct2}% off?",
        work=f"{pct2}% of ${price} = {money(off2)}, so {money(price - off2)}.",
        steps=[f"Discount: {pct2}% of ${price} = {money(off2)}.",
               f"New price: ${price} − {money(off2)} = {money(price - off2)}."],
        concl=f"At {pct2}% off, the {item_} would cost {money(price - off2)}.", ans=money(price - off2))
    return d


def a_reading():
    p = person()
    per = rng.choice([15, 20, 25, 30, 35, 40])
    pages = rng.randint(8, 20) * per + rng.choice([0, 0, rng.randint(5, per - 1)])
    full, rem = divmod(pages, per)
    days = full + (1 if rem else 0)
    steps = [f"Divide the pages by the daily amount: {pages} ÷ {per} = {n(Fraction(pages, per))}."]
    if rem:
        steps.append(f"After {full} full days {p.sub} has read {full*per} pages, leaving {rem} pages, so {p.sub} needs one more (shorter) day: {full} + 1 = {days}.")
        work = f"{pages} ÷ {per} = {full} remainder {rem}, so {full} full days plus one more."
    else:
        steps.append(f"That divides evenly, so {p.sub} needs exactly {days} days.")
        work = f"{pages} ÷ {per} = {days}."
    return dict(
        q=f"{p.name} is reading a {pages}-page novel and reads {per} pages every day. How many days will it take {p.obj} to finish it?",
        work=work, steps=steps,
        concl=f"It will take {p.name} {days} days to finish the book.", ans=str(days))


def a_average():
    p = person()
    k = rng.choice([3, 4, 5])
    while True:
        scores = [rng.randint(62, 99) for _ in range(k - 1)]
        lasts = [x for x in range(65, 100) if (sum(scores) + x) % k == 0]
        if lasts:
            scores.append(rng.choice(lasts))
            break
    tot = sum(scores)
    avg = tot // k
    return dict(
        q=f"{p.name} scored {join_and(str(s) for s in scores)} on {p.pos} last {k} quizzes. What is {p.pos} average score?",
        work=f"{' + '.join(map(str, scores))} = {tot}. {tot} ÷ {k} = {avg}.",
        steps=[f"Add the scores: {' + '.join(map(str, scores))} = {tot}.",
               f"Divide by the number of quizzes: {tot} ÷ {k} = {avg}."],
        concl=f"{p.name}'s average score is {avg}.", ans=str(avg))


def a_seats():
    r, s = rng.randint(12, 30), rng.randint(10, 24)
    o = rng.randint(r * s // 3, r * s - 10)
    venue = rng.choice(["A theater", "A lecture hall", "A small concert hall"])
    return dict(
        q=f"{venue} has {r} rows with {s} seats in each row. For tonight's show, {o} tickets have been sold. How many seats are still empty?",
        work=f"{r} × {s} = {r*s} seats. {r*s} − {o} = {r*s-o}.",
        steps=[f"Total seats: {r} rows × {s} seats = {r*s}.",
               f"Empty seats: {r*s} − {o} sold = {r*s-o}."],
        concl=f"There are {r*s-o} empty seats.", ans=str(r * s - o))


def a_recipe():
    while True:
        base = rng.choice([4, 6, 8])
        cups = rng.choice([Fraction(3, 2), Fraction(2), Fraction(3), Fraction(5, 2), Fraction(9, 4)])
        want = rng.choice([2, 3, 10, 12, 6, 5, 9, 16])
        if want == base:
            continue
        res = cups * want / base
        s, exact = num(res)
        if exact:
            break
    thing = rng.choice(["pancakes", "a banana bread", "cornbread", "a vegetable soup"])
    ing = "flour" if thing != "a vegetable soup" else "broth"
    return dict(
        q=f"A recipe for {thing} serves {base} people and uses {n(cups)} cups of {ing}. How many cups of {ing} do I need to serve {want} people?",
        work=f"{n(cups)} ÷ {base} × {want} = {s} cups.",
        steps=[f"Find the amount per person: {n(cups)} ÷ {base} = {n(cups / base, 4)} cups.",
               f"Multiply by the number of people: {n(cups / base, 4)} × {want} = {s} cups."],
        concl=f"You need {s} cups of {ing} for {want} people.", ans=s)


def a_wage():
    p = person()
    h = rng.randint(15, 38)
    w = Fraction(rng.choice([1400, 1550, 1650, 1800, 2050, 2250, 1725]), 100)
    b = rng.choice([25, 40, 50, 75, 100])
    pay = h * w + b
    d = dict(
        q=f"{p.name} works {h} hours this week at {money(w)} per hour and also gets a ${b} bonus. How much does {p.sub} earn this week?",
        work=f"{h} × {money(w)} = {money(h*w)}, plus ${b} = {money(pay)}.",
        steps=[f"Hourly pay: {h} hours × {money(w)} = {money(h*w)}.",
               f"Add the bonus: {money(h*w)} + ${b}.00 = {money(pay)}."],
        concl=f"{p.name} earns {money(pay)} this week.", ans=money(pay))
    h2 = h + 5
    pay2 = h2 * w + b
    d["follow"] = dict(
        q=f"How much would {p.sub} make if {p.sub} worked {h2} hours instead?",
        work=f"{h2} × {money(w)} = {money(h2*w)}, plus ${b} = {money(pay2)}.",
        steps=[f"Hourly pay: {h2} × {money(w)} = {money(h2*w)}.",
               f"Add the ${b} bonus: {money(pay2)}."],
        concl=f"Working {h2} hours, {p.name} would earn {money(pay2)}.", ans=money(pay2))
    return d


def a_ages():
    p = person()
    while True:
        c, m = rng.randint(4, 12), rng.randint(3, 5)
        if 26 <= c * m <= 48:
            break
    y = rng.randint(3, 10)
    kid = rng.choice(["daughter", "son"])
    return dict(
        q=f"{p.name} is {m} times as old as {p.pos} {kid}, who is {c}. How old will {p.name} be in {y} years?",
        work=f"{m} × {c} = {c*m} now; {c*m} + {y} = {c*m+y}.",
        steps=[f"{p.name}'s current age: {m} × {c} = {c*m}.",
               f"Add {y} years: {c*m} + {y} = {c*m+y}."],
        concl=f"{p.name} will be {c*m+y} years old in {y} years.", ans=str(c * m + y))


def a_garden():
    L, W = rng.randint(6, 18), rng.randint(3, 10)
    c = rng.choice([6, 8, 9, 12, 15])
    area = L * W
    return dict(
        q=f"A rectangular lawn is {L} m long and {W} m wide. Turf costs ${c} per square meter. How much will it cost to cover the whole lawn?",
        work=f"{L} × {W} = {area} m². {area} × ${c} = ${area*c:,}.",
        steps=[f"Area of the lawn: {L} m × {W} m = {area} m².",
               f"Cost: {area} m² × ${c} per m² = ${area*c:,}."],
        concl=f"Covering the lawn will cost ${area*c:,}.", ans=f"${area*c:,}")


def a_fence():
    L, W = rng.randint(20, 60), rng.randint(15, 40)
    c = rng.choice([8, 11, 12, 14, 18])
    per = 2 * (L + W)
    return dict(
        q=f"A backyard is a rectangle measuring {L} feet by {W} feet. Fencing costs ${c} per foot. What will it cost to fence the entire perimeter?",
        work=f"Perimeter = 2 × ({L} + {W}) = {per} ft. {per} × ${c} = ${per*c:,}.",
        steps=[f"Perimeter: 2 × ({L} + {W}) = 2 × {L+W} = {per} feet.",
               f"Cost: {per} feet × ${c} per foot = ${per*c:,}."],
        concl=f"Fencing the yard will cost ${per*c:,}.", ans=f"${per*c:,}")


def a_split():
    k = rng.randint(3, 6)
    t = k * 5 * rng.randint(3, 9)
    tip = Fraction(t * 20, 100)
    each = (t + tip) / k
    return dict(
        q=f"{['', '', 'Two', 'Three', 'Four', 'Five', 'Six'][k]} friends have dinner and the bill comes to ${t}. They add a 20% tip and split the total evenly. How much does each person pay?",
        work=f"20% of ${t} = {money(tip)}. ${t} + {money(tip)} = {money(t+tip)}. ÷ {k} = {money(each)}.",
        steps=[f"Tip: 20% of ${t} = {money(tip)}.",
               f"Total with tip: ${t} + {money(tip)} = {money(t+tip)}.",
               f"Split {k} ways: {money(t+tip)} ÷ {k} = {money(each)}."],
        concl=f"Each person pays {money(each)}.", ans=money(each))


def a_fuel():
    L = Fraction(rng.choice([55, 60, 65, 70, 75, 80, 85]), 10)
    D = rng.choice([150, 200, 250, 320, 400, 450, 600, 750])
    lit = L * D / 100
    return dict(
        q=f"My car uses {n(L)} liters of fuel per 100 km. How many liters will it need for a {D} km road trip?",
        work=f"{D} ÷ 100 × {n(L)} = {n(lit)} L.",
        steps=[f"The trip is {D} ÷ 100 = {n(Fraction(D, 100))} times 100 km.",
               f"Fuel needed: {n(Fraction(D, 100))} × {n(L)} L = {n(lit)} L."],
        concl=f"The trip needs about {n(lit)} liters of fuel.", ans=n(lit))


def a_tank():
    while True:
        C = rng.randrange(300, 1001, 50)
        A = rng.randrange(0, C // 2, 25)
        R = rng.choice([10, 15, 20, 25, 30])
        if (C - A) % R == 0 and (C - A) % (2 * R) == 0:
            break
    mins = (C - A) // R
    d = dict(
        q=f"A water tank holds {C} liters and already contains {A} liters. A hose adds {R} liters per minute. How many minutes until the tank is full?",
        work=f"{C} − {A} = {C-A} L to go. {C-A} ÷ {R} = {mins} minutes.",
        steps=[f"Water still needed: {C} − {A} = {C-A} liters.",
               f"Time: {C-A} ÷ {R} liters per minute = {mins} minutes."],
        concl=f"The tank will be full in {mins} minutes.", ans=str(mins))
    d["follow"] = dict(
        q=f"What if a second hose adds another {R} liters per minute at the same time?",
        work=f"{2*R} L/min together. {C-A} ÷ {2*R} = {mins//2} minutes.",
        steps=[f"Combined rate: {R} + {R} = {2*R} liters per minute.",
               f"Time: {C-A} ÷ {2*R} = {mins//2} minutes."],
        concl=f"With both hoses running, the tank fills in {mins//2} minutes.", ans=str(mins // 2))
    return d


def a_cookies():
    p = person()
    B = rng.choice([6, 8, 12])
    while True:
        N = rng.randint(50, 200)
        if N % B:
            break
    full, left = divmod(N, B)
    thing = rng.choice(["cookies", "cupcakes", "brownies"])
    return dict(
        q=f"{p.name} baked {N} {thing} and packs them into boxes that hold {B} each. After filling as many boxes as possible, how many {thing} are left over?",
        work=f"{N} ÷ {B} = {full} boxes, remainder {left}.",
        steps=[f"Full boxes: {N} ÷ {B} = {full} (since {full} × {B} = {full*B}).",
               f"Leftover: {N} − {full*B} = {left}."],
        concl=f"{p.name} fills {full} boxes and has {left} {thing} left over.", ans=str(left))


def a_temp():
    s = rng.randint(-12, 4)
    r = rng.randint(5, 15)
    f = rng.randint(2, 11)
    end = s + r - f
    town = rng.choice(["a mountain village", "the city", "a lakeside town", "the campsite"])
    return dict(
        q=f"At 6 a.m. the temperature in {town} was {s}°C. By afternoon it had risen {r} degrees, and by midnight it had dropped {f} degrees from the afternoon high. What was the temperature at midnight?",
        work=f"{s} + {r} = {s+r}; {s+r} − {f} = {end}°C.",
        steps=[f"Afternoon temperature: {s} + {r} = {s+r}°C.",
               f"Midnight temperature: {s+r} − {f} = {end}°C."],
        concl=f"The temperature at midnight was {end}°C.", ans=str(end))


def a_savings():
    p = person()
    S = rng.choice([15, 20, 25, 30, 40, 50])
    A = rng.randrange(0, 200, 10)
    wk = rng.randint(4, 18)
    G = A + S * wk
    thing = rng.choice(["a bike", "a new phone", "a guitar", "concert tickets", "a tablet"])
    return dict(
        q=f"{p.name} wants to buy {thing} that costs ${G}. {p.Sub} already has ${A} saved and puts away ${S} every week. How many weeks until {p.sub} can afford it?",
        work=f"${G} − ${A} = ${G-A}. {G-A} ÷ {S} = {wk} weeks.",
        steps=[f"Amount still needed: ${G} − ${A} = ${G-A}.",
               f"Weeks of saving: ${G-A} ÷ ${S} per week = {wk}."],
        concl=f"{p.name} can afford {thing} after {wk} weeks.", ans=str(wk))


def a_ratio():
    a, b = rng.choice([(2, 3), (3, 5), (1, 4), (4, 5), (3, 4), (2, 5)])
    k = rng.randint(4, 12)
    tot = (a + b) * k
    c1, c2 = rng.choice([("red", "blue"), ("green", "yellow"), ("black", "white")])
    d = dict(
        q=f"A jar holds {tot} marbles. The ratio of {c1} to {c2} marbles is {a}:{b}. How many {c2} marbles are there?",
        work=f"{a} + {b} = {b+a} parts; {tot} ÷ {a+b} = {k} per part; {b} × {k} = {b*k}.",
        steps=[f"Total parts in the ratio: {a} + {b} = {a+b}.",
               f"Marbles per part: {tot} ÷ {a+b} = {k}.",
               f"{c2.capitalize()} marbles: {b} parts × {k} = {b*k}."],
        concl=f"There are {b*k} {c2} marbles.", ans=str(b * k))
    d["follow"] = dict(
        q=f"And how many {c1} marbles are in the jar?",
        intro="We can reuse the size of one part from before.",
        work=f"{a} × {k} = {a*k} (or {tot} − {b*k}).",
        steps=[f"Each part is still {k} marbles.",
               f"{c1.capitalize()} marbles: {a} parts × {k} = {a*k}. Check: {a*k} + {b*k} = {tot}."],
        concl=f"There are {a*k} {c1} marbles.", ans=str(a * k))
    return d


def a_stairs():
    p = person()
    F, s = rng.randint(3, 9), rng.randint(14, 22)
    tot = 2 * F * s
    return dict(
        q=f"{p.name} climbs {F} flights of stairs to get to {p.pos} office, and each flight has {s} steps. {p.Sub} takes the stairs back down at the end of the day. How many steps does {p.sub} walk on the stairs each day?",
        work=f"{F} × {s} = {F*s} each way; × 2 = {tot}.",
        steps=[f"Steps one way: {F} flights × {s} steps = {F*s}.",
               f"Up and down: {F*s} × 2 = {tot}."],
        concl=f"{p.name} walks {tot} steps on the stairs each day.", ans=str(tot))


def a_bakery():
    m1, m2 = rng.randint(20, 60), rng.randint(15, 50)
    pr = Fraction(rng.choice([225, 250, 275, 300, 325, 350, 375]), 100)
    rev = (m1 + m2) * pr
    good = rng.choice(["muffins", "croissants", "bagels"])
    return dict(
        q=f"A bakery sold {m1} {good} in the morning and {m2} in the afternoon. Each one costs {money(pr)}. How much money did the {good} bring in that day?",
        work=f"{m1} + {m2} = {m1+m2}; {m1+m2} × {money(pr)} = {money(rev)}.",
        steps=[f"Total sold: {m1} + {m2} = {m1+m2} {good}.",
               f"Revenue: {m1+m2} × {money(pr)} = {money(rev)}."],
        concl=f"The {good} brought in {money(rev)}.", ans=money(rev))


def a_percent_class():
    while True:
        N = rng.choice([20, 24, 25, 30, 32, 40, 28, 35])
        p = rng.choice([10, 15, 20, 25, 30, 35, 40, 60, 75])
        if N * p % 100 == 0:
            break
    k = N * p // 100
    what = rng.choice(["wear glasses", "walk to school", "play a musical instrument", "have a pet dog"])
    return dict(
        q=f"In a class of {N} students, {p}% {what}. How many students is that?",
        work=f"{p}% of {N} = {N} × {n(Fraction(p, 100))} = {k}.",
        steps=[f"Write the percentage as a decimal: {p}% = {n(Fraction(p, 100))}.",
               f"Multiply: {N} × {n(Fraction(p, 100))} = {k}."],
        concl=f"{k} students {what}.", ans=str(k))


def a_laps():
    p = person()
    laps = rng.randint(5, 25)
    km = Fraction(laps * 400, 1000)
    return dict(
        q=f"{p.name} runs {laps} laps around a 400-meter track. How many kilometers does {p.sub} run?",
        work=f"{laps} × 400 = {laps*400:,} m = {n(km)} km.",
        steps=[f"Total distance in meters: {laps} × 400 m = {laps*400:,} m.",
               f"Convert to kilometers by dividing by 1,000: {laps*400:,} ÷ 1,000 = {n(km)} km."],
        concl=f"{p.name} runs {n(km)} kilometers.", ans=n(km))


def a_buses():
    while True:
        N, C = rng.randint(110, 400), rng.choice([40, 45, 48, 50, 52, 56])
        if N % C:
            break
    b = -(-N // C)
    d = dict(
        q=f"A school is taking {N} students on a field trip. Each bus holds {C} students. How many buses are needed?",
        work=f"{N} ÷ {C} = {n(Fraction(N, C))}, round up: {b}.",
        steps=[f"Divide: {N} ÷ {C} ≈ {n(Fraction(N, C))}.",
               f"You can't take part of a bus, and {b-1} buses would only carry {(b-1)*C} students, so round up to {b}."],
        concl=f"The school needs {b} buses.", ans=str(b))
    C2 = C + 12
    b2 = -(-N // C2)
    d["follow"] = dict(
        q=f"What if they rent larger buses that hold {C2} students each?",
        work=f"{N} ÷ {C2} = {n(Fraction(N, C2))}, round up: {b2}.",
        steps=[f"Divide: {N} ÷ {C2} ≈ {n(Fraction(N, C2))}.",
               f"Round up to the next whole bus: {b2}" + (f" ({b2-1} buses hold only {(b2-1)*C2})." if N % C2 else ".")],
        concl=f"With {C2}-seat buses, they need {b2} buses.", ans=str(b2))
    return d


def a_supplies():
    n1, n2 = rng.randint(2, 6), rng.randint(2, 8)
    x = Fraction(rng.choice([249, 299, 349, 399, 450, 525]), 100)
    y = Fraction(rng.choice([75, 99, 125, 150, 110]), 100)
    tot = n1 * x + n2 * y
    return dict(
        q=f"Notebooks cost {money(x)} each and pens cost {money(y)} each. What is the total for {n1} notebooks and {n2} pens?",
        work=f"{n1} × {money(x)} = {money(n1*x)}; {n2} × {money(y)} = {money(n2*y)}; total {money(tot)}.",
        steps=[f"Notebooks: {n1} × {money(x)} = {money(n1*x)}.",
               f"Pens: {n2} × {money(y)} = {money(n2*y)}.",
               f"Total: {money(n1*x)} + {money(n2*y)} = {money(tot)}."],
        concl=f"The total comes to {money(tot)}.", ans=money(tot))


def a_speed():
    p = person()
    h = rng.choice([2, 3, 4])
    m = rng.choice([0, 30])
    t = h + Fraction(m, 60)
    v = rng.choice([48, 52, 60, 64, 70, 76, 84, 90])
    D = v * t
    dur = plural(h, "hour") + (f" {m} minutes" if m else "")
    return dict(
        q=f"{p.name} drove {n(D)} km in {dur}. What was {p.pos} average speed in km/h?",
        work=f"{dur} = {n(t)} h. {n(D)} ÷ {n(t)} = {v} km/h.",
        steps=([f"Convert the time to hours: {dur} = {n(t)} hours."] if m else [])
        + [f"Average speed = distance ÷ time = {n(D)} km ÷ {n(t)} h = {v} km/h."],
        concl=f"{p.name}'s average speed was {v} km/h.", ans=str(v))


def a_plant():
    H = rng.randint(5, 30)
    g = Fraction(rng.choice([15, 20, 25, 30, 35, 40]), 10)
    w = rng.randint(3, 10)
    fin = H + g * w
    plant = rng.choice(["sunflower seedling", "tomato plant", "bean plant"])
    return dict(
        q=f"A {plant} is {H} cm tall and grows {n(g)} cm per week. How tall will it be after {w} weeks?",
        work=f"{n(g)} × {w} = {n(g*w)} cm; {H} + {n(g*w)} = {n(fin)} cm.",
        steps=[f"Growth over {w} weeks: {n(g)} × {w} = {n(g*w)} cm.",
               f"Add the starting height: {H} + {n(g*w)} = {n(fin)} cm."],
        concl=f"The {plant} will be {n(fin)} cm tall.", ans=n(fin))


def a_pizza():
    while True:
        np_, s = rng.randint(2, 6), rng.choice([6, 8, 10, 12])
        ppl = rng.randint(4, 12)
        if (np_ * s) % ppl == 0 and (np_ * s) // ppl >= 2:
            break
    each = np_ * s // ppl
    return dict(
        q=f"We ordered {np_} pizzas, each cut into {s} slices, for {ppl} people. If everyone gets the same number of slices, how many slices does each person get?",
        work=f"{np_} × {s} = {np_*s} slices; ÷ {ppl} = {each}.",
        steps=[f"Total slices: {np_} × {s} = {np_*s}.",
               f"Per person: {np_*s} ÷ {ppl} = {each}."],
        concl=f"Each person gets {each} slices.", ans=str(each))


def a_shelves():
    b = rng.randint(120, 480)
    s = rng.choice([24, 30, 32, 36, 40])
    full = b // s
    rem = b - full * s
    if rem == 0:
        b += 7
        rem = 7
    sh = full + 1
    return dict(
        q=f"A library has {b} new books to shelve. Each shelf fits {s} books. How many shelves will the books take up, counting a partly filled shelf?",
        work=f"{b} ÷ {s} = {full} r {rem}, so {full} full shelves + 1 = {sh}.",
        steps=[f"Full shelves: {b} ÷ {s} = {full} with {rem} books left over.",
               f"The {rem} extra books need one more shelf: {full} + 1 = {sh}."],
        concl=f"The books will take up {sh} shelves.", ans=str(sh))


def a_commute():
    p = person()
    while True:
        mins = rng.choice([18, 22, 25, 35, 40, 45])
        days = rng.choice([4, 5])
        weeks = rng.choice([4, 46, 48])
        tot_m = mins * 2 * days * weeks
        if num(F(tot_m, 60))[1]:
            break
    hours = Fraction(tot_m, 60)
    return dict(
        q=f"{p.name}'s commute takes {mins} minutes each way, and {p.sub} goes to work {days} days a week. How many hours does {p.sub} spend commuting over {weeks} weeks?",
        work=f"{mins} × 2 × {days} = {mins*2*days} min/week; × {weeks} = {tot_m:,} min = {n(hours)} h.",
        steps=[f"Minutes per day: {mins} × 2 = {mins*2}.",
               f"Minutes per week: {mins*2} × {days} = {mins*2*days}.",
               f"Minutes over {weeks} weeks: {mins*2*days} × {weeks} = {tot_m:,}.",
               f"Convert to hours: {tot_m:,} ÷ 60 = {n(hours)}."],
        concl=f"{p.name} spends {n(hours)} hours commuting over {weeks} weeks.", ans=n(hours))


def a_order():
    onum = rng.randint(10000, 99999)
    k = rng.randint(2, 6)
    thing = rng.choice(["T-shirts", "phone cases", "coffee mugs", "notebooks"])
    p = F(rng.choice([899, 1299, 1499, 999, 1150]), 100)
    ship = F(rng.choice([499, 599, 750, 0]), 100)
    tot = k * p + ship
    ship_txt = f"shipping costs {money(ship)}" if ship else "shipping is free"
    return dict(
        q=f"Order #{onum} contains {k} {thing} at {money(p)} each, and {ship_txt}. What is the order total?",
        work=f"{k} × {money(p)} = {money(k*p)}" + (f"; + {money(ship)} shipping = {money(tot)}." if ship else "; no shipping charge."),
        steps=[f"Cost of the items: {k} × {money(p)} = {money(k*p)}.",
               (f"Add shipping: {money(k*p)} + {money(ship)} = {money(tot)}." if ship else "Shipping is free, so nothing is added.")],
        concl=f"The total for order #{onum} is {money(tot)}.", ans=money(tot))


ARITH_TEMPLATES = [a_apples, a_train, a_change, a_discount, a_reading, a_average,
                   a_seats, a_recipe, a_wage, a_ages, a_garden, a_fence, a_split,
                   a_fuel, a_tank, a_cookies, a_temp, a_savings, a_ratio, a_stairs,
                   a_bakery, a_percent_class, a_laps, a_buses, a_supplies, a_speed,
                   a_plant, a_pizza, a_shelves, a_commute, a_order]

ARITH_INTROS = ["Let's solve this step by step.", "Let's break this problem down.",
                "We can work this out in a few steps.", "Here's how to work it out:",
                "Let's go through it one step at a time."]


def render_arith(d, follow=False):
    human = f"{d['work']}\n\nAnswer: {d['ans']}"
    if rng.random() < 0.25:
        human = f"{d['concl']}\n\n{d['work']}\n\nAnswer: {d['ans']}"
    if follow:
        intro = d.get("intro", "Let's redo the calculation with the new number.")
    else:
        intro = rng.choice(ARITH_INTROS)
    synth = (opener(True) + intro + "\n\n" + numbered(d["steps"]) + "\n\n" + d["concl"]
             + "\n\n**Final answer:** " + d["ans"])
    return human, synth


def gen_arithmetic(count):
    out = []
    order = ARITH_TEMPLATES[:]
    rng.shuffle(order)
    seq = []
    while len(seq) < count:
        for t in order:
            seq.append(t)
    # two instances of the same template are generated back to back, so the
    # pair is split across the two files by the parity-based assignment.
    seq = sorted(seq[:count], key=lambda t: order.index(t))
    for t in seq:
        while True:
            d = t()
            if claim(d["q"]):
                break
        h, s = render_arith(d)
        f = None
        if d.get("follow"):
            fd = d["follow"]
            if claim(fd["q"]):
                h2, s2 = render_arith(fd, follow=True)
                f = (fd["q"], h2, s2)
        out.append(item("arithmetic", d["q"], h, s, f))
    return out


# --------------------------------------------------------------------------
# 2. Unit conversion (all results computed with exact factors)
# --------------------------------------------------------------------------

F = Fraction


def U(key, fs, fp, fa, ts, tp, ta, op, factor, how, values, contexts, places=2, generic=True, note=None):
    return dict(key=key, fs=fs, fp=fp, fa=fa, ts=ts, tp=tp, ta=ta, op=op, factor=factor,
                how=how, values=values, contexts=contexts, places=places,
                generic=generic, note=note)


CONVERSIONS = [
    U("km_mi", "kilometer", "kilometers", "km", "mile", "miles", "miles", "div", F("1.609344"),
      "One mile is exactly 1.609344 kilometers, so divide the number of kilometers by 1.609344.",
      ["5", "10", "21.1", "42.195", "3", "8", "15", "250"],
      ["I ran {v} km this morning. How many miles is that?",
       "The next town is {v} km away. About how far is that in miles?"]),
    U("mi_km", "mile", "miles", "mi", "kilometer", "kilometers", "km", "mul", F("1.609344"),
      "One mile is exactly 1.609344 kilometers, so multiply the number of miles by 1.609344.",
      ["1", "3", "26.2", "60", "13.1", "200"],
      ["My bike ride today was {v} miles. What is that in kilometers?",
       "A hiking trail is listed as {v} miles long. How long is it in km?"]),
    U("kg_lb", "kilogram", "kilograms", "kg", "pound", "pounds", "lb", "div", F("0.45359237"),
      "One pound is defined as exactly 0.45359237 kg, so divide by 0.45359237 (that is roughly the same as multiplying by 2.2046).",
      ["23", "70", "2.5", "12", "85", "5"],
      ["My suitcase weighs {v} kg. What's that in pounds?",
       "The airline's baggage limit is {v} kg. How many pounds is that?"]),
    U("lb_kg", "pound", "pounds", "lb", "kilogram", "kilograms", "kg", "mul", F("0.45359237"),
      "One pound is defined as exactly 0.45359237 kg, so multiply the number of pounds by 0.45359237.",
      ["150", "10", "8", "180", "3", "45"],
      ["A recipe calls for a {v} lb turkey. How many kilograms is that?",
       "My dog weighs {v} pounds. What is that in kilograms?"]),
    U("c_f", "degree Celsius", "degrees Celsius", "°C", "degree Fahrenheit", "degrees Fahrenheit", "°F", "c2f", None,
      "Use the formula °F = °C × 9/5 + 32.",
      ["25", "37", "-10", "0", "180", "22", "100", "15"],
      ["The forecast says it will be {v}°C tomorrow. What is that in Fahrenheit?",
       "My thermostat is set to {v}°C. What would that be in °F?"], places=1, generic=False),
    U("f_c", "degree Fahrenheit", "degrees Fahrenheit", "°F", "degree Celsius", "degrees Celsius", "°C", "f2c", None,
      "Use the formula °C = (°F − 32) × 5/9.",
      ["350", "98.6", "72", "212", "50", "0", "425", "-4"],
      ["My recipe says to bake at {v}°F. What's that in Celsius?",
       "It's {v}°F outside right now. What is that in °C?"], places=1, generic=False),
    U("in_cm", "inch", "inches", "inches", "centimeter", "centimeters", "cm", "mul", F("2.54"),
      "One inch is exactly 2.54 centimeters, so multiply by 2.54.",
      ["12", "6", "15.6", "27", "55", "1"],
      ["My laptop screen measures {v} inches diagonally. How many centimeters is that?",
       "A picture frame is {v} inches wide. What is that in cm?"]),
    U("cm_in", "centimeter", "centimeters", "cm", "inch", "inches", "inches", "div", F("2.54"),
      "One inch is exactly 2.54 centimeters, so divide by 2.54.",
      ["30", "180", "100", "45", "21"],
      ["The shelf I want is {v} cm deep. How deep is that in inches?"]),
    U("ft_m", "foot", "feet", "ft", "meter", "meters", "m", "mul", F("0.3048"),
      "One foot is exactly 0.3048 meters, so multiply by 0.3048.",
      ["6", "10", "1,000", "35,000", "8"],
      ["The ceiling in my apartment is {v} feet high. How many meters is that?",
       "A plane is cruising at {v} feet. What is that altitude in meters?"]),
    U("m_ft", "meter", "meters", "m", "foot", "feet", "ft", "div", F("0.3048"),
      "One foot is exactly 0.3048 meters, so divide the number of meters by 0.3048.",
      ["100", "2", "1.8", "50", "400"],
      ["The pool at my gym is {v} meters long. How long is that in feet?"]),
    U("l_gal", "liter", "liters", "L", "US gallon", "US gallons", "gal", "div", F("3.785411784"),
      "One US gallon is exactly 3.785411784 liters, so divide by 3.785411784.",
      ["10", "50", "2", "75"],
      ["My fish tank holds {v} liters. How many US gallons is that?"]),
    U("gal_l", "US gallon", "US gallons", "gal", "liter", "liters", "L", "mul", F("3.785411784"),
      "One US gallon is exactly 3.785411784 liters, so multiply by 3.785411784.",
      ["5", "15", "1", "12"],
      ["I bought a {v}-gallon bucket of paint. How many liters does it hold?"]),
    U("oz_g", "ounce", "ounces", "oz", "gram", "grams", "g", "mul", F("28.349523125"),
      "One (avoirdupois) ounce is exactly 28.349523125 grams, so multiply by 28.349523125.",
      ["8", "16", "4", "12"],
      ["A recipe asks for {v} oz of cheese. How many grams is that?"]),
    U("g_oz", "gram", "grams", "g", "ounce", "ounces", "oz", "div", F("28.349523125"),
      "One ounce is exactly 28.349523125 grams, so divide the number of grams by 28.349523125.",
      ["500", "250", "100", "340"],
      ["A bag of coffee beans is {v} g. How many ounces is that?"]),
    U("kmh_ms", "kilometer per hour", "kilometers per hour", "km/h", "meter per second", "meters per second", "m/s", "div", F("3.6"),
      "1 km/h is 1,000 meters in 3,600 seconds, so divide by 3.6 to get meters per second.",
      ["36", "90", "120", "50"],
      ["A cyclist is riding at {v} km/h. What is that speed in meters per second?"]),
    U("mph_kmh", "mile per hour", "miles per hour", "mph", "kilometer per hour", "kilometers per hour", "km/h", "mul", F("1.609344"),
      "One mile is 1.609344 km, so multiply the speed in mph by 1.609344.",
      ["60", "70", "30", "55"],
      ["The speed limit on this road is {v} mph. What is that in km/h?"]),
    U("m2_ft2", "square meter", "square meters", "m²", "square foot", "square feet", "sq ft", "div", F("0.09290304"),
      "One square foot is 0.3048 m × 0.3048 m = 0.09290304 m², so divide by 0.09290304.",
      ["20", "45", "12", "80"],
      ["Our living room is {v} m². How many square feet is that?"]),
    U("h_min", "hour", "hours", "h", "minute", "minutes", "min", "mul", F(60),
      "There are 60 minutes in an hour, so multiply by 60.",
      ["2.5", "3.75", "1.2", "0.4"],
      ["The movie is {v} hours long. How many minutes is that?"]),
    U("min_h", "minute", "minutes", "min", "hour", "hours", "h", "div", F(60),
      "There are 60 minutes in an hour, so divide by 60.",
      ["90", "135", "200", "45"],
      ["My flight is {v} minutes long. How many hours is that?"]),
    U("s_min", "second", "seconds", "s", "minute", "minutes", "min", "div", F(60),
      "There are 60 seconds in a minute, so divide by 60.",
      ["500", "150", "1,000", "75"],
      ["The microwave timer says {v} seconds. How many minutes is that?"]),
    U("ml_l", "milliliter", "milliliters", "mL", "liter", "liters", "L", "div", F(1000),
      "There are 1,000 milliliters in a liter, so divide by 1,000.",
      ["750", "1,250", "330", "2,000"],
      ["A bottle of olive oil holds {v} mL. How many liters is that?"], places=3),
    U("m_km", "meter", "meters", "m", "kilometer", "kilometers", "km", "div", F(1000),
      "There are 1,000 meters in a kilometer, so divide by 1,000.",
      ["5,400", "800", "12,500", "350"],
      ["My walk to the station is {v} meters. How many kilometers is that?"], places=3),
    U("acre_ha", "acre", "acres", "acres", "hectare", "hectares", "ha", "mul", F("0.40468564224"),
      "One acre is 0.40468564224 hectares, so multiply by 0.40468564224.",
      ["10", "2.5", "160", "40"],
      ["A farm for sale is listed at {v} acres. How many hectares is that?"]),
    U("tbsp_tsp", "tablespoon", "tablespoons", "tbsp", "teaspoon", "teaspoons", "tsp", "mul", F(3),
      "In US measurements, one tablespoon equals 3 teaspoons, so multiply by 3.",
      ["2", "4", "1.5", "5"],
      ["The recipe wants {v} tablespoons of sugar but I only have a teaspoon. How many teaspoons should I use?"]),
    U("day_h", "day", "days", "days", "hour", "hours", "h", "mul", F(24),
      "Each day has 24 hours, so multiply by 24.",
      ["3", "7", "2.5", "14"],
      ["How many hours are there in {v} days?"], generic=False),
    U("kg_g", "kilogram", "kilograms", "kg", "gram", "grams", "g", "mul", F(1000),
      "A kilogram is 1,000 grams, so multiply by 1,000.",
      ["2.75", "0.4", "1.25"],
      ["A bag of flour weighs {v} kg. How many grams is that?"]),
]


# Context phrasings only make sense for some values (nobody bakes at 72°F).
CONTEXT_OK = {
    "I ran {v} km this morning. How many miles is that?": ["5", "10", "21.1", "42.195", "3", "8", "15"],
    "My bike ride today was {v} miles. What is that in kilometers?": ["3", "26.2", "60", "13.1"],
    "A hiking trail is listed as {v} miles long. How long is it in km?": ["1", "3", "13.1"],
    "My suitcase weighs {v} kg. What's that in pounds?": ["23", "12", "5"],
    "The airline's baggage limit is {v} kg. How many pounds is that?": ["23", "12"],
    "A recipe calls for a {v} lb turkey. How many kilograms is that?": ["10", "8"],
    "My dog weighs {v} pounds. What is that in kilograms?": ["10", "8", "45", "3"],
    "The forecast says it will be {v}°C tomorrow. What is that in Fahrenheit?": ["25", "-10", "0", "22", "15"],
    "My thermostat is set to {v}°C. What would that be in °F?": ["22", "25"],
    "My recipe says to bake at {v}°F. What's that in Celsius?": ["350", "425"],
    "It's {v}°F outside right now. What is that in °C?": ["72", "50", "0", "-4"],
    "My laptop screen measures {v} inches diagonally. How many centimeters is that?": ["12", "15.6"],
    "A picture frame is {v} inches wide. What is that in cm?": ["12", "6", "27"],
    "The shelf I want is {v} cm deep. How deep is that in inches?": ["30", "45", "21"],
    "The ceiling in my apartment is {v} feet high. How many meters is that?": ["8", "10"],
    "A plane is cruising at {v} feet. What is that altitude in meters?": ["35,000"],
    "The pool at my gym is {v} meters long. How long is that in feet?": ["50"],
    "My fish tank holds {v} liters. How many US gallons is that?": ["10", "50", "75"],
    "I bought a {v}-gallon bucket of paint. How many liters does it hold?": ["1", "5"],
    "A bag of coffee beans is {v} g. How many ounces is that?": ["500", "250", "340"],
    "A cyclist is riding at {v} km/h. What is that speed in meters per second?": ["36"],
    "Our living room is {v} m². How many square feet is that?": ["20", "45"],
    "The movie is {v} hours long. How many minutes is that?": ["2.5"],
    "The microwave timer says {v} seconds. How many minutes is that?": ["150", "75"],
    "A bottle of olive oil holds {v} mL. How many liters is that?": ["750"],
    "My walk to the station is {v} meters. How many kilometers is that?": ["800", "350"],
    "A farm for sale is listed at {v} acres. How many hectares is that?": ["10", "160", "40"],
}


def conv_value(spec, v):
    x = F(v.replace(",", ""))
    if spec["op"] == "mul":
        return x * spec["factor"]
    if spec["op"] == "div":
        return x / spec["factor"]
    if spec["op"] == "c2f":
        return x * F(9, 5) + 32
    if spec["op"] == "f2c":
        return (x - 32) * F(5, 9)
    raise ValueError(spec["op"])


def qty(v, spec, side):
    """'42.195 km' style, or '350°F' for temperatures."""
    ab = spec["fa"] if side == "f" else spec["ta"]
    full_pl = spec["fp"] if side == "f" else spec["tp"]
    if ab == full_pl:  # the "abbreviation" is the full word, so it needs a singular form
        ab = uname(v, spec, side)
    return f"{v}{ab}" if ab.startswith("°") else f"{v} {ab}"


def uname(v, spec, side):
    s, p = (spec["fs"], spec["fp"]) if side == "f" else (spec["ts"], spec["tp"])
    return s if F(v.replace(",", "")) == 1 else p


def conv_calc(spec, v, res_s, exact):
    eq = "=" if exact else "≈"
    fac = spec["factor"]
    if spec["op"] == "mul":
        return f"{v} × {n(fac, 12)} {eq} {res_s}"
    if spec["op"] == "div":
        return f"{v} ÷ {n(fac, 12)} {eq} {res_s}"
    if spec["op"] == "c2f":
        x = F(v.replace(",", ""))
        return f"{v} × 9/5 + 32 = {n(x * F(9, 5), 4)} + 32 {eq} {res_s}"
    x = F(v.replace(",", ""))
    return f"({v} − 32) × 5/9 = {n(x - 32, 4)} × 5/9 {eq} {res_s}"


def conv_extra(spec, res):
    """Extra human-friendly rendering for time conversions."""
    if spec["key"] == "min_h":
        h, m = divmod(int(res * 60), 60)
        if res * 60 == int(res * 60) and h:
            return f"{plural(h, 'hour')}" + (f" {m} minutes" if m else "")
    if spec["key"] == "s_min":
        tot = int(res * 60)
        if res * 60 == tot:
            m, s = divmod(tot, 60)
            return f"{m} minutes" + (f" {s} seconds" if s else "")
    return None


def render_conv(spec, v, q=None):
    res = conv_value(spec, v)
    res_s, exact = num(res, spec["places"])
    about = "" if exact else "about "
    tw = uname(res_s, spec, "t")
    extra = conv_extra(spec, res)
    calc = conv_calc(spec, v, res_s, exact)
    hq = f"{qty(v, spec, 'f')} {'=' if exact else '≈'} {qty(res_s, spec, 't')}"
    if extra:
        hq += f" ({extra})"
    human = rng.choice([
        hq + ".",
        f"{calc}, so {about}{res_s} {tw}." if not extra else f"{calc}, so {res_s} {tw}, i.e. {extra}.",
        f"{about.capitalize() if about else ''}{qty(res_s, spec, 't')}." if not extra else f"{extra.capitalize()} ({res_s} {tw}).",
    ])
    if human[0].islower():
        human = human[0].upper() + human[1:]
    intro = rng.choice(["Here's the conversion.", f"Let's convert {spec['fp']} to {spec['tp']}.",
                        f"Converting {spec['fp']} to {spec['tp']} takes one step."])
    rounded = "" if exact else f" (rounded to {['', 'one', 'two', 'three'][spec['places']]} decimal place{'s' if spec['places'] > 1 else ''})"
    synth = (opener() + intro + " " + spec["how"] + "\n\n"
             + f"{calc}\n\n"
             + f"So {qty(v, spec, 'f')} is {about}**{res_s} {tw}**{rounded}"
             + (f", which is the same as {extra}" if extra else "") + "."
             + closer())
    return human, synth


GENERIC_CONV_Q = [
    "Convert {q} to {tp}.",
    "How many {tp} are in {q}?",
    "What is {q} in {tp}?",
    "{q} is how many {tp}?",
    "Quick conversion, please: {q} to {ta}.",
    "Can you convert {q} into {tp} for me?",
]
TEMP_CONV_Q = ["Convert {q} to {tp}.", "What is {q} in {tp}?", "Quick conversion, please: {q} to {ta}."]


def gen_conversion(count):
    out = []
    specs = CONVERSIONS[:]
    rng.shuffle(specs)
    used_vals = {}
    i = 0
    while len(out) < count:
        spec = specs[i % len(specs)]
        i += 1
        left = [v for v in spec["values"] if v not in used_vals.get(spec["key"], [])]
        if len(left) < 2:
            continue
        v = rng.choice(left)
        used_vals.setdefault(spec["key"], []).append(v)
        ctxs = [c for c in spec["contexts"] if v in CONTEXT_OK.get(c, [v])]
        if rng.random() < 0.5 and ctxs:
            q = rng.choice(ctxs).format(v=v)
        else:
            pool = GENERIC_CONV_Q if spec["generic"] else TEMP_CONV_Q
            q = rng.choice(pool).format(q=qty(v, spec, "f"), tp=spec["tp"], ta=spec["ta"])
        if not claim(q):
            continue
        h, s = render_conv(spec, v)
        follow = None
        left2 = [x for x in spec["values"] if x not in used_vals[spec["key"]]]
        rng.shuffle(left2)
        for v2 in left2:
            q2 = rng.choice(["What about {q}?", "And {q}?", "How about {q}?", "Now do {q}."]).format(q=qty(v2, spec, "f"))
            if claim(q2):
                h2, s2 = render_conv(spec, v2)
                follow = (q2, h2, s2)
                break
        out.append(item("unit_conversion", q, h, s, follow))
    return out


# --------------------------------------------------------------------------
# 3. Dates, weekdays and clock times (computed with datetime)
# --------------------------------------------------------------------------

def wd(d):
    return WEEKDAYS[d.weekday()]


def weekday_explain(d):
    first = d.replace(day=1)
    off = d.day - 1
    fell = "fell" if d.year < 2025 else "falls"
    if off == 0:
        return f"{d_long(d)} is the first day of the month, and it {fell} on a {wd(d)}."
    w, r = divmod(off, 7)
    head = f"{MONTHS[d.month]} 1, {d.year} {fell} on a {wd(first)}. The {ordinal(d.day)} is {plural(off, 'day')} later"
    if r == 0:
        return f"{head}, which is exactly {plural(w, 'week')}, so it is also a {wd(d)}."
    if w == 0:
        return f"{head}, so we move {plural(r, 'day')} forward from {wd(first)}, which gives {wd(d)}."
    return f"{head}; {off} = 7 × {w} + {r}, so we move {plural(r, 'day')} forward from {wd(first)}, which gives {wd(d)}."


def more_days(k):
    return "1 more day brings" if k == 1 else f"{k} more days bring"


def a_an(k):
    s = str(k)
    return "an" if s.startswith("8") or s in ("11", "18") or (len(s) in (2, 5) and s.startswith(("11", "18"))) else "a"


def dt_weekday():
    d = rand_date(1990, 2030)
    ds = d_any(d)
    if d.year >= 2025:
        q = rng.choice([
            f"I have a dentist appointment on {ds}. What day of the week is that?",
            f"Which day of the week will {ds} be?",
            f"Our conference starts on {ds}. Is that a weekday or a weekend, and which day exactly?"])
    elif d.year < 2010:
        q = rng.choice([
            f"My parents got married on {ds}. What day of the week was that?",
            f"What day of the week was {ds}?",
            f"I was born on {ds}. Which weekday was it?"])
    else:
        q = rng.choice([f"What day of the week was {ds}?", f"Which weekday did {ds} fall on?"])
    kind = "a weekend day" if d.weekday() >= 5 else "a weekday"
    if "weekday or a weekend" in q:
        human = f"It's a {wd(d)}, so {kind}."
        lead = f"{ds} falls on a **{wd(d)}**, which makes it {kind}."
    else:
        human = rng.choice([f"{wd(d)}.", f"It was a {wd(d)}." if d.year < 2025 else f"It's a {wd(d)}."])
        lead = f"{ds} {'was' if d.year < 2025 else 'is'} a **{wd(d)}**."
    synth = opener(True) + lead + "\n\nHere's a quick way to check it:\n" + weekday_explain(d) + closer()
    return q, human, synth, None


def month_walk(d, k):
    """Explain adding k days to d month by month; returns (lines, result)."""
    lines, cur, left = [], d, k
    while True:
        ml = calendar.monthrange(cur.year, cur.month)[1]
        to_end = ml - cur.day
        if left <= to_end:
            res = cur + dt.timedelta(days=left)
            lines.append(f"{more_days(left)} us to {d_long(res)}.")
            return lines, res
        if to_end > 0:
            lines.append(f"{plural(to_end, 'day')} {'gets' if to_end == 1 else 'get'} us to the end of {MONTHS[cur.month]} ({d_md(cur.replace(day=ml))}); {left - to_end} days remain.")
        left -= to_end
        # step to the first of next month
        nxt = cur.replace(day=ml) + dt.timedelta(days=1)
        left -= 1
        if left == 0:
            lines.append(f"1 more day brings us to {d_long(nxt)}.")
            return lines, nxt
        cur = nxt
        ml = calendar.monthrange(cur.year, cur.month)[1]
        if left >= ml:
            pass
        lines_before = len(lines)
        # account for the day used to reach the 1st inside the next line
        if left < ml:
            res = cur + dt.timedelta(days=left)
            lines.append(f"1 day takes us to {d_md(cur)}, and {more_days(left)} us to {d_long(res)}.")
            return lines, res
        lines.append(f"The next {ml} days cover all of {MONTHS[cur.month]}{' ' + str(cur.year) if cur.month == 1 else ''}; {left - ml + 1} days remain.")
        left = left - ml + 1
        cur = cur.replace(day=ml)
        assert lines_before < len(lines)


def dt_add_days():
    d = rand_date(2018, 2029, 28)
    k = rng.randint(12, 150)
    lines, res = month_walk(d, k)
    assert res == d + dt.timedelta(days=k)
    ds = d_any(d)
    q = rng.choice([
        f"What date is {k} days after {ds}?",
        f"If {a_an(k)} {k}-day free trial starts on {ds}, on what date does it end? Count the end date as {k} days after the start.",
        f"A package is due {k} days from {ds}. What's the due date?",
        f"Add {k} days to {ds}. What date do you get?"])
    human = rng.choice([f"{d_long(res)}.", f"{d_long(res)} ({d_iso(res)})."])
    synth = (opener(True) + f"Let's count forward {k} days from {d_long(d)}, one month at a time.\n\n"
             + numbered(lines) + f"\n\nSo the answer is **{d_long(res)}**." + closer())
    q2 = f"What day of the week is {d_long(res)}?"
    follow = (q2, f"{wd(res)}.", opener(True) + f"{d_long(res)} is a **{wd(res)}**.\n\n" + weekday_explain(res) + closer())
    return q, human, synth, follow


def dt_between():
    d1 = rand_date(2019, 2028, 28)
    d2 = d1 + dt.timedelta(days=rng.randint(20, 250))
    k = (d2 - d1).days
    a, b = (d_iso(d1), d_iso(d2)) if rng.random() < 0.5 else (d_long(d1), d_long(d2))
    q = rng.choice([
        f"How many days are there from {a} to {b}?",
        f"How many days pass between {a} and {b}?",
        f"My project started on {a} and the deadline is {b}. How many days is that?",
        f"Count the days from {a} until {b}."])
    # month-by-month breakdown
    parts, cur = [], d1
    while cur.year != d2.year or cur.month != d2.month:
        ml = calendar.monthrange(cur.year, cur.month)[1]
        seg = ml - cur.day + 1 if cur != d1 else ml - cur.day
        if cur == d1:
            parts.append((f"Rest of {MONTHS[cur.month]} (after the {ordinal(cur.day)})", seg))
        else:
            parts.append((f"All of {MONTHS[cur.month]}" + (" (leap year)" if cur.month == 2 and ml == 29 else ""), seg))
        cur = cur.replace(day=ml) + dt.timedelta(days=1)
    parts.append((f"{MONTHS[d2.month]} 1 to {d_md(d2)}" if cur != d1 else f"{d_md(d1)} to {d_md(d2)}", d2.day if cur != d1 else d2.day - d1.day))
    assert sum(p[1] for p in parts) == k, (d1, d2, parts)
    human = rng.choice([f"{k} days.", f"{k} days (not counting the start date)."])
    synth = (opener(True) + "Let's add it up month by month, counting from the start date (not including it) to the end date:\n\n"
             + bullets(f"{lbl}: {v} days" for lbl, v in parts)
             + f"\n\nTotal: {' + '.join(str(v) for _, v in parts)} = **{k} days**."
             + "\n\nIf you want to count both the first and the last day, add one: " + f"{k + 1} days." + closer())
    return q, human, synth, None


def dt_sub_days():
    d = rand_date(2020, 2030)
    k = rng.choice([30, 45, 60, 90, 100, 120, 180, 200])
    res = d - dt.timedelta(days=k)
    ds = d_any(d)
    q = rng.choice([
        f"What was the date {k} days before {ds}?",
        f"I need to send an application {k} days before {ds}. What date is that?",
        f"Subtract {k} days from {ds}."])
    fwd, r2 = month_walk(res, k)
    assert r2 == d
    human = f"{d_long(res)}."
    synth = (opener(True) + f"Counting back {k} days from {d_long(d)} lands on **{d_long(res)}**.\n\n"
             + f"To double-check, count forward {k} days from {d_long(res)}:\n"
             + numbered(fwd) + "\n\nThat matches, so the answer is correct." + closer())
    return q, human, synth, None


def dt_weekday_offset():
    start = rng.randrange(7)
    k = rng.randint(10, 1000)
    q_, r = divmod(k, 7)
    res = WEEKDAYS[(start + k) % 7]
    s = WEEKDAYS[start]
    q = rng.choice([
        f"If today is {s}, what day of the week will it be in {k} days?",
        f"Today is a {s}. Which weekday will it be {k} days from now?",
        f"It's {s} today. What day will it be {k} days later?"])
    human = f"{res}. {k} = 7 × {q_} + {r}, so it's {plural(r, 'day')} after {s}." if r else f"{res} — {k} is a multiple of 7."
    if r:
        walk = []
        for i in range(1, r + 1):
            walk.append(WEEKDAYS[(start + i) % 7])
        body = (f"{k} ÷ 7 = {q_} with a remainder of {r}. The {q_} full weeks bring us back to {s}, "
                f"so we only need to move {plural(r, 'day')} forward: {' → '.join([s] + walk)}.")
    else:
        body = f"{k} ÷ 7 = {q_} with no remainder, so after exactly {q_} weeks it is {s} again."
    synth = (opener(True) + "The days of the week repeat every 7 days, so we only care about the remainder when dividing by 7.\n\n"
             + body + f"\n\nIn {k} days it will be **{res}**." + closer())
    return q, human, synth, None


def dt_age():
    form = rng.randrange(3)
    b = rand_date(1936, 1958, 28) if form == 1 else rand_date(1950, 2010, 28)
    d = rand_date(2018, 2024, 28) if form == 1 else rand_date(2020, 2030, 28)
    age = d.year - b.year - ((d.month, d.day) < (b.month, b.day))
    had = (d.month, d.day) >= (b.month, b.day)
    q = [
        f"Someone born on {d_any(b)} — how old are they on {d_any(d)}?",
        f"My grandmother was born on {d_long(b)}. How old was she on {d_long(d)}?",
        f"If a person's birthday is {d_iso(b)}, what is their age on {d_iso(d)}?"][form]
    human = rng.choice([f"{age}.", f"{age} years old."])
    ydiff = d.year - b.year
    if had:
        why = f"By {d_md(d)}, the birthday ({d_md(b)}) has already passed that year, so no adjustment is needed."
    else:
        why = f"On {d_md(d)}, the birthday ({d_md(b)}) hasn't come around yet that year, so subtract one: {ydiff} − 1 = {age}."
    who = "she was" if form == 1 else "the person is"
    synth = (opener(True) + "Here's how to work it out:\n\n"
             + numbered([f"Subtract the birth year from the later year: {d.year} − {b.year} = {ydiff}.", why])
             + f"\n\nSo on {d_long(d)}, {who} **{age} years old**." + closer())
    return q, human, synth, None


def dt_leap():
    y = rng.choice([1900, 2000, 2024, 2023, 2100, 1996, 2400, 1800, 2028, 2019, 2032, 1700])
    leap = calendar.isleap(y)
    q = rng.choice([f"Is {y} a leap year?", f"Was {y} a leap year?" if y < 2025 else f"Will {y} be a leap year?",
                    f"Did February have 29 days in {y}?" if y < 2025 else f"Will February have 29 days in {y}?"])
    if y % 400 == 0:
        reason, steps = "it's divisible by 400", [f"{y} is divisible by 4.", f"It is also divisible by 100, which would normally rule it out...", f"...but it is divisible by 400, so it is a leap year after all."]
    elif y % 100 == 0:
        reason, steps = "century years must be divisible by 400", [f"{y} is divisible by 4.", f"It is also divisible by 100.", f"It is not divisible by 400, so it is not a leap year."]
    elif y % 4 == 0:
        reason, steps = "it's divisible by 4 and not a century year", [f"{y} ÷ 4 = {y // 4}, so it is divisible by 4.", "It is not a century year, so no further checks are needed."]
    else:
        reason, steps = "it isn't divisible by 4", [f"{y} ÷ 4 = {n(F(y, 4))}, which is not a whole number, so it is not a leap year."]
    yes = "Yes" if leap else "No"
    if "February" in q:
        has = "had" if y < 2025 else "will have"
        human = f"{yes} — {y} {'is' if leap else 'is not'} a leap year, so February {has} {29 if leap else 28} days ({reason})."
    else:
        human = f"{yes}, {reason}."
    synth = (opener(True) + f"**{yes}**, {y} {'is' if leap else 'is not'} a leap year.\n\n"
             + "The Gregorian calendar rule is: a year is a leap year if it is divisible by 4, except century years (divisible by 100), which are leap years only if they are also divisible by 400.\n\n"
             + numbered(steps) + (f"\n\nSo February {y} has {29 if leap else 28} days." ) + closer())
    return q, human, synth, None


def fmt_clock(t, style):
    if style == 24:
        return t.strftime("%H:%M")
    h = t.hour % 12 or 12
    return f"{h}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def dt_clock_add():
    style = rng.choice([12, 24])
    base = dt.datetime(2024, 1, 1, rng.randint(6, 22), rng.choice([0, 10, 15, 20, 30, 40, 45, 50]))
    h, m = rng.randint(1, 5), rng.choice([0, 15, 20, 25, 30, 40, 45, 50])
    end = base + dt.timedelta(hours=h, minutes=m)
    dur = plural(h, "hour") + (f" and {m} minutes" if m else "")
    what = rng.choice([("A meeting starts at {t} and runs for {d}. What time does it end?", "meeting"),
                       ("A flight departs at {t} and the flight time is {d}. What time does it land, assuming no time-zone change?", "flight"),
                       ("I put a slow-cooker stew on at {t}, and it needs {d}. When will it be ready?", "stew"),
                       ("The train leaves at {t} and the journey takes {d}. When does it arrive?", "train")])
    q = what[0].format(t=fmt_clock(base, style), d=dur)
    nextday = end.date() != base.date()
    es = fmt_clock(end, style) + (" the next day" if nextday else "")
    mid = base + dt.timedelta(hours=h)
    steps = [f"Add {plural(h, 'hour')}: {fmt_clock(base, style)} → {fmt_clock(mid, style)}" + (" (next day)" if mid.date() != base.date() else "") + "."]
    if m:
        steps.append(f"Add {m} minutes: {fmt_clock(mid, style)} → {fmt_clock(end, style)}" + (" (next day)" if nextday else "") + ".")
    human = f"{es[0].upper() + es[1:]}."
    synth = opener(True) + "Let's add the time in two steps.\n\n" + numbered(steps) + f"\n\nIt ends at **{es}**." + closer()
    if what[1] == "flight":
        synth = synth.replace("It ends at", "It lands at")
    elif what[1] == "stew":
        synth = synth.replace("It ends at", "It will be ready at")
    elif what[1] == "train":
        synth = synth.replace("It ends at", "It arrives at")
    return q, human, synth, None


def dt_clock_diff():
    a = dt.datetime(2024, 1, 1, rng.randint(6, 11), rng.choice([0, 5, 15, 20, 30, 45, 50]))
    b = dt.datetime(2024, 1, 1, rng.randint(13, 21), rng.choice([0, 10, 25, 30, 40, 55]))
    mins = int((b - a).total_seconds() // 60)
    h, m = divmod(mins, 60)
    style = rng.choice([12, 24])
    q = rng.choice([f"How long is it from {fmt_clock(a, style)} to {fmt_clock(b, style)}?",
                    f"My shift runs from {fmt_clock(a, style)} to {fmt_clock(b, style)}. How many hours and minutes is that?",
                    f"The library is open from {fmt_clock(a, style)} until {fmt_clock(b, style)}. How long is it open?"])
    res = plural(h, "hour") + (f" {m} minutes" if m else "")
    noon = dt.datetime(2024, 1, 1, 12, 0)
    m1 = int((noon - a).total_seconds() // 60)
    m2 = int((b - noon).total_seconds() // 60)
    human = f"{res} ({mins} minutes)."
    synth = (opener(True) + "An easy way is to split the time at noon:\n\n"
             + bullets([f"From {fmt_clock(a, style)} to {fmt_clock(noon, style)}: {m1} minutes",
                        f"From {fmt_clock(noon, style)} to {fmt_clock(b, style)}: {m2} minutes"])
             + f"\n\nTotal: {m1} + {m2} = {mins} minutes, which is **{res}**." + closer())
    return q, human, synth, None


DATE_PLAN = [(dt_weekday, 8), (dt_add_days, 7), (dt_between, 6), (dt_sub_days, 4),
             (dt_weekday_offset, 5), (dt_age, 4), (dt_leap, 3), (dt_clock_add, 4), (dt_clock_diff, 3)]


def gen_dates(count):
    out = []
    for fn, k in DATE_PLAN:
        made = 0
        while made < k:
            q, h, s, f = fn()
            if not claim(q):
                continue
            if f and not claim(f[0]):
                f = None
            out.append(item("date_arithmetic", q, h, s, f))
            made += 1
    return out[:count]


# --------------------------------------------------------------------------
# 4. String manipulation (all results computed)
# --------------------------------------------------------------------------

SENTENCES = [
    "Coffee tastes better on a rainy morning",
    "My neighbor grows tomatoes on her balcony",
    "The museum opens at nine on weekdays",
    "Please water the plants before you leave",
    "Learning to code takes patience and practice",
    "The train to the coast was almost empty",
    "Our team finished the project two days early",
    "A small boat drifted slowly across the lake",
    "She painted the kitchen a pale shade of green",
    "The library has a new section for graphic novels",
    "He forgot his umbrella at the bus stop",
    "Every winter the river freezes near the bridge",
    "Fresh bread is sold at the corner bakery",
    "The concert was moved to the larger hall",
    "My sister is teaching me how to knit",
    "We watched the sunset from the top of the hill",
    "The cat sleeps on the warm windowsill all afternoon",
    "Bring a jacket because the evenings get cold",
    "The old clock in the hallway still works",
    "They planted an apple tree in the backyard",
    "Reading before bed helps me relax",
    "The recipe needs two eggs and a cup of milk",
    "Our flight was delayed by three hours",
    "The children built a fort out of cardboard boxes",
    "Good documentation saves everyone time",
    "A gentle breeze carried the smell of pine",
    "The new bike lane makes my commute safer",
    "He practices the piano for an hour every evening",
    "The soup needs a little more salt",
    "She finally finished reading the long novel",
    "The hikers reached the summit before noon",
    "Turn off the lights when you leave the room",
    "My grandfather tells the best stories",
    "The printer on the third floor is out of paper",
    "Bees visit the lavender in the garden every morning",
    "The bakery ran out of croissants by eight",
    "We need more chairs for the meeting room",
    "The puppy chased its tail in circles",
    "Music makes long drives feel shorter",
    "The lighthouse guided ships along the rocky shore",
]

COUNT_WORDS = ["mississippi", "bookkeeper", "banana", "committee", "strawberry", "assessment",
               "parallel", "possession", "occurrence", "independence", "referee", "millennium",
               "engineering", "cinnamon", "balloon", "accommodate", "embarrass", "tomorrow",
               "excellent", "pepper", "giraffe", "programming", "hippopotamus", "abracadabra",
               "necessary", "successful", "chocolate", "butterfly", "cappuccino", "whippoorwill"]

REVERSE_WORDS = ["keyboard", "sunflower", "elephant", "horizon", "pineapple", "laptop",
                 "stressed", "drawer", "planet", "wonderful", "chocolate", "dragon", "lantern",
                 "notebook", "volcano", "marble", "spaghetti", "umbrella"]

PALINDROME_CANDIDATES = ["level", "racecar", "kayak", "refer", "rotor", "civic", "noon",
                         "Never odd or even", "Step on no pets", "Was it a car or a cat I saw",
                         "Top spot", "lever", "rocket", "banana", "canal", "Step on no pet",
                         "Madam in Eden, I'm Adam", "palindrome", "stats", "tenet"]

ACRONYMS = ["as soon as possible", "frequently asked questions", "graphical user interface",
            "random access memory", "central processing unit", "do it yourself",
            "for your information", "estimated time of arrival", "hypertext markup language",
            "unidentified flying object", "out of office", "personal identification number",
            "search engine optimization", "return on investment"]

IDENT_PHRASES = ["user account id", "total order price", "max retry count", "first name",
                 "shipping address line", "last login time", "page view count",
                 "default font size", "is email verified", "number of guests",
                 "start date", "temperature in celsius"]

REPLACE_CASES = [
    ("I like tea in the morning and tea at night", "tea", "coffee"),
    ("The red car passed the red truck on the red bridge", "red", "blue"),
    ("Monday meetings are long and Monday lunches are short", "Monday", "Friday"),
    ("Our old website used old fonts and old photos", "old", "new"),
    ("The river was wide and the river was cold", "river", "lake"),
    ("Send the report to Sam and ask Sam to review it", "Sam", "Alex"),
    ("The cat chased the ball while the other cat watched", "cat", "kitten"),
]


def op_reverse_words(s):
    words = s.split()
    res = " ".join(reversed(words))
    return res, res, (opener() + "Here's the sentence with the word order reversed:\n\n"
                      + f"**{res}**\n\nThe original has {len(words)} words. Each word stays the same; "
                      + "they're just listed from last to first." + closer())


def op_reverse_string(w):
    res = w[::-1]
    fun = ""
    if res in ("desserts", "reward"):
        fun = f"\n\nFun fact: \"{res}\" is itself an English word!"
    return res, res, (opener() + f"Reading \"{w}\" from the last letter to the first gives:\n\n**{res}**\n\n"
                      + f"Letter by letter: {' - '.join(res)}" + fun + closer())


def op_upper(s):
    res = s.upper()
    return res, res, (opener() + f"Here it is in all caps:\n\n{res}" + closer())


def pick_letter(w):
    c = Counter(w.lower())
    choices = sorted(ch for ch, k in c.items() if k >= 2)
    return rng.choice(choices)


def op_count_letter(args):
    w, ch = args
    pos = [i + 1 for i, c in enumerate(w.lower()) if c == ch]
    k = len(pos)
    human = rng.choice([f"{k}.", f"{k} times.", f"\"{ch}\" appears {k} times in \"{w}\"."])
    synth = (opener() + "Let's go through the word letter by letter:\n\n"
             + " - ".join(w) + "\n\n"
             + f"The letter \"{ch}\" appears at positions {join_and(str(p) for p in pos)}.\n\n"
             + f"So \"{ch}\" appears **{k} times** in \"{w}\"." + closer())
    return str(k), human, synth


def op_count_vowels(w):
    vs = [c for c in w.lower() if c in "aeiou"]
    k = len(vs)
    cnt = Counter(vs)
    parts = [f"{v}: {cnt[v]}" for v in "aeiou" if cnt[v]]
    human = f"{k} ({', '.join(parts)})."
    synth = (opener() + f"Counting a, e, i, o and u (not y) in \"{w}\":\n\n"
             + bullets(f"\"{v}\" appears {plural(cnt[v], 'time')}" for v in "aeiou" if cnt[v])
             + f"\n\nThat adds up to **{k} vowels**." + closer())
    return str(k), human, synth


def op_count_words(s):
    words = s.split()
    k = len(words)
    synth = (opener() + "Let's count them one at a time:\n\n"
             + numbered(words) + f"\n\nThe sentence has **{k} words**." + closer())
    return str(k), rng.choice([f"{k}.", f"{k} words."]), synth


def title(s):
    return " ".join(w[:1].upper() + w[1:] for w in s.split())


def op_title(s):
    res = title(s.lower())
    small = []
    for w in s.lower().split()[1:]:
        if w in ("a", "an", "the", "and", "on", "of", "to", "in", "at", "for", "by") and w not in small:
            small.append(w)
    note = ""
    if small:
        note = ("\n\nNote that I capitalized every word, including short ones like "
                + join_and(f"\"{w}\"" for w in small[:3])
                + ", since that's what you asked for. Standard title case would usually leave those lowercase.")
    return res, res, (opener() + f"Here's the sentence with the first letter of every word capitalized:\n\n{res}"
                      + note + closer())


def op_acronym(p):
    res = "".join(w[0].upper() for w in p.split())
    parts = ", ".join(f"{w[0].upper()} ({w})" for w in p.split())
    return res, rng.choice([res, f"{res}."]), (opener() + f"Take the first letter of each word: {parts}.\n\n"
                                                  + f"That gives the acronym **{res}**." + closer())


def op_palindrome(p):
    norm = "".join(c.lower() for c in p if c.isalnum())
    yes = norm == norm[::-1]
    rev = norm[::-1]
    if yes:
        human = "Yes." + (f" Ignoring spaces, punctuation and case, it reads \"{norm}\" both ways." if norm != p else "")
    else:
        human = "No." + (f" Ignoring spaces and case, it reverses to \"{rev}\"." if norm != p else f" Backwards it's \"{rev}\".")
    if norm != p:
        first = (f"Ignoring spaces, punctuation and capitalization, \"{p}\" becomes \"{norm}\".\n\n"
                 + f"Reversed, that is \"{rev}\".\n\n")
    else:
        first = f"Reading \"{p}\" from right to left gives \"{rev}\".\n\n"
    synth = (opener() + first
             + (f"The two match, so **yes**, it is a palindrome." if yes else
                "They don't match, so **no**, it is not a palindrome.") + closer())
    return ("yes" if yes else "no"), human, synth


def op_sort_letters(w):
    res = "".join(sorted(w.lower()))
    return res, res, (opener() + f"Here are the letters of \"{w}\" in alphabetical order:\n\n**{res}**\n\n"
                      + "Repeated letters are kept, so the result has the same "
                      + f"{len(w)} letters as the original word." + closer())


def op_snake(p):
    res = "_".join(p.lower().split())
    return res, f"`{res}`", (opener() + f"In snake_case, words are lowercase and joined with underscores:\n\n`{res}`" + closer())


def op_camel(p):
    ws = p.lower().split()
    res = ws[0] + "".join(w.capitalize() for w in ws[1:])
    return res, f"`{res}`", (opener() + "In camelCase, the first word stays lowercase and each following word starts with a capital letter, with no spaces:\n\n"
                            + f"`{res}`" + closer())


def op_chars(s):
    total = len(s)
    spaces = s.count(" ")
    k = total - spaces
    return str(k), rng.choice([f"{k}.", f"{k} characters (not counting spaces)."]), (
        opener() + f"The sentence is {total} characters long including spaces. It contains {spaces} spaces, "
        + f"so without them there are {total} − {spaces} = **{k} characters**." + closer())


def op_replace(args):
    s, a, b = args
    k = len(re.findall(rf"\b{re.escape(a)}\b", s))
    res = re.sub(rf"\b{re.escape(a)}\b", b, s)
    return res, res, (opener() + f"Here's the sentence with every \"{a}\" replaced by \"{b}\":\n\n{res}\n\n"
                      + f"I made {plural(k, 'replacement')} in total." + closer())


def op_most_common(w):
    c = Counter(w.lower())
    top = c.most_common()
    best, k = top[0]
    assert top[1][1] < k
    runner = [f"\"{ch}\" ({n_} times)" for ch, n_ in top[1:] if n_ >= 2]
    if runner:
        rest = f"The runner{'s-up are' if len(runner) > 1 else '-up is'} {join_and(runner)}."
    else:
        rest = "Every other letter appears only once."
    return best, f"\"{best}\" — it appears {k} times.", (
        opener() + f"Counting each letter in \"{w}\", the most frequent is **\"{best}\"**, which appears {k} times. "
        + rest + closer())


def unique_max(w):
    c = Counter(w.lower()).most_common()
    return len(c) > 1 and c[0][1] > c[1][1]


STRING_OPS = {
    "reverse_words": (op_reverse_words, lambda: rng.choice(SENTENCES), [
        "Reverse the order of the words in this sentence: \"{x}\"",
        "Write this sentence with the words in reverse order: {x}",
        "Can you flip the word order of \"{x}\"?"]),
    "reverse_string": (op_reverse_string, lambda: rng.choice(REVERSE_WORDS), [
        "Spell \"{x}\" backwards.", "What is \"{x}\" reversed?", "Reverse the letters in the word {x}."]),
    "upper": (op_upper, lambda: rng.choice(SENTENCES), [
        "Convert this to uppercase: {x}", "Rewrite this in all caps: \"{x}\""]),
    "count_letter": (op_count_letter, lambda: (lambda w: (w, pick_letter(w)))(rng.choice(COUNT_WORDS)), [
        "How many times does the letter \"{x1}\" appear in \"{x0}\"?",
        "Count the letter {x1} in the word {x0}.",
        "How many {x1}'s are in \"{x0}\"?"]),
    "count_vowels": (op_count_vowels, lambda: rng.choice(COUNT_WORDS), [
        "How many vowels are in the word \"{x}\"?", "Count the vowels in \"{x}\"."]),
    "count_words": (op_count_words, lambda: rng.choice(SENTENCES), [
        "How many words are in this sentence? \"{x}\"", "Count the words: {x}"]),
    "title": (op_title, lambda: rng.choice(SENTENCES), [
        "Capitalize the first letter of every word: {x}",
        "Make every word in this sentence start with a capital letter: \"{x}\""]),
    "acronym": (op_acronym, lambda: rng.choice(ACRONYMS), [
        "What acronym do you get from the first letters of \"{x}\"?",
        "Turn \"{x}\" into an acronym."]),
    "palindrome": (op_palindrome, lambda: rng.choice(PALINDROME_CANDIDATES), [
        "Is \"{x}\" a palindrome?", "Does \"{x}\" read the same forwards and backwards?"]),
    "sort_letters": (op_sort_letters, lambda: rng.choice(REVERSE_WORDS + COUNT_WORDS), [
        "Sort the letters of \"{x}\" in alphabetical order.", "Put the letters in \"{x}\" in alphabetical order."]),
    "snake": (op_snake, lambda: rng.choice(IDENT_PHRASES), [
        "Convert \"{x}\" to snake_case.", "What would \"{x}\" look like as a snake_case variable name?"]),
    "camel": (op_camel, lambda: rng.choice(IDENT_PHRASES), [
        "Convert \"{x}\" to camelCase.", "Write \"{x}\" as a camelCase identifier."]),
    "chars": (op_chars, lambda: rng.choice(SENTENCES), [
        "How many characters are in \"{x}\", not counting spaces?",
        "Count the characters in this sentence, excluding spaces: {x}"]),
    "replace": (op_replace, lambda: rng.choice(REPLACE_CASES), [
        "Replace every \"{x1}\" with \"{x2}\" in this sentence: {x0}",
        "In the sentence \"{x0}\", swap the word \"{x1}\" for \"{x2}\" everywhere."]),
    "most_common": (op_most_common, lambda: rng.choice([w for w in COUNT_WORDS + REVERSE_WORDS if unique_max(w)]), [
        "Which letter appears most often in \"{x}\"?", "What's the most frequent letter in the word \"{x}\"?"]),
}

STRING_FOLLOW = ["Now do the same for \"{x}\".", "Great, now try this one: \"{x}\"", "Do the same with \"{x}\", please."]


def fill(tpl, x):
    if isinstance(x, tuple):
        return tpl.format(**{f"x{i}": v for i, v in enumerate(x)})
    return tpl.format(x=x)


def gen_strings(count):
    out = []
    keys = list(STRING_OPS)
    used_obj = []
    i = 0
    while len(out) < count:
        key = keys[i % len(keys)]
        i += 1
        fn, pick, tpls = STRING_OPS[key]
        for _ in range(50):
            x = pick()
            if (key, x) not in used_obj:
                break
        used_obj.append((key, x))
        q = fill(rng.choice(tpls), x)
        if not claim(q):
            continue
        _, h, s = fn(x)
        follow = None
        if key not in ("replace", "count_letter") and rng.random() < 0.6:
            for _ in range(20):
                x2 = pick()
                if x2 != x and (key, x2) not in used_obj:
                    break
            q2 = rng.choice(STRING_FOLLOW).format(x=x2)
            if claim(q2):
                used_obj.append((key, x2))
                _, h2, s2 = fn(x2)
                follow = (q2, h2, s2)
        out.append(item("string_manipulation", q, h, s, follow))
    return out


# --------------------------------------------------------------------------
# 5. Sorting and ordering (all results computed)
# --------------------------------------------------------------------------

WORD_LISTS = {
    "fruits": ["mango", "apple", "kiwi", "banana", "cherry", "grape", "pear", "plum", "lime",
               "fig", "papaya", "apricot", "melon", "guava"],
    "cities": ["Lisbon", "Nairobi", "Oslo", "Denver", "Cairo", "Hanoi", "Lima", "Madrid",
               "Toronto", "Seoul", "Athens", "Perth", "Bogotá", "Zurich"],
    "animals": ["zebra", "otter", "falcon", "beaver", "lynx", "gecko", "heron", "moose",
                "panda", "walrus", "badger", "koala", "iguana"],
    "instruments": ["violin", "drums", "flute", "cello", "banjo", "harp", "oboe", "trumpet",
                    "ukulele", "clarinet", "piano"],
    "names": ["Olivia", "Ethan", "Zara", "Mohammed", "Beatriz", "Hugo", "Chidi", "Ana",
              "Theo", "Ivy", "Kai", "Rosalind"],
}
LENGTH_WORDS = ["ox", "cat", "lamp", "table", "garden", "blanket", "umbrella", "sunflower",
                "television", "a", "be", "sky", "moon", "river", "window", "kitchen",
                "mountains", "watermelon", "tea", "bread", "planet", "notebook"]
PRICED = [("headphones", 5999), ("a phone case", 1499), ("a desk chair", 12900),
          ("a water bottle", 1850), ("a yoga mat", 2995), ("a backpack", 4450),
          ("a table lamp", 3275), ("a paperback book", 1299), ("a wall clock", 2250),
          ("a coffee grinder", 3999), ("a bike helmet", 4999), ("a houseplant", 1675)]
PLANETS = ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"]
LEN_UNITS = ["millimeter", "centimeter", "inch", "foot", "yard", "meter", "kilometer", "mile"]
TIME_UNITS = ["second", "minute", "hour", "day", "week", "month", "year", "decade", "century"]
PEOPLE_FULL = ["Laura Nguyen", "Marcus Bell", "Priya Raman", "Tom Okafor", "Elena Fischer",
               "Jonas Berg", "Carmen Ruiz", "David Kim", "Sara Haddad", "Peter Walsh",
               "Amina Diallo", "Lucy Young"]


def list_str(xs):
    return ", ".join(str(x) for x in xs)


def rand_nums(k, lo=-20, hi=99, dec=False):
    while True:
        xs = rng.sample(range(lo, hi), k)
        if dec:
            xs = [F(x, 10) * rng.choice([1, 1, 3]) for x in xs]
        if len(set(xs)) == k:
            return xs


def sort_numbers(desc=False, dec=False):
    k = rng.randint(5, 9)
    xs = rand_nums(k, -15 if rng.random() < 0.4 else 0, 120, dec)
    shown = [n(x) for x in xs]
    res = sorted(xs, reverse=desc)
    rs = [n(x) for x in res]
    if desc:
        q = rng.choice(["Sort these numbers from largest to smallest: {l}",
                        "Arrange in descending order: {l}",
                        "Can you put these in order, biggest first? {l}"]).format(l=list_str(shown))
    else:
        q = rng.choice(["Sort these numbers from smallest to largest: {l}",
                        "Put these numbers in ascending order: {l}",
                        "Order these from lowest to highest: {l}"]).format(l=list_str(shown))
    human = list_str(rs)
    synth = (opener() + f"Here are the numbers sorted from {'largest to smallest' if desc else 'smallest to largest'}:\n\n"
             + list_str(rs) + "\n\n"
             + f"The {'largest' if desc else 'smallest'} value is {rs[0]} and the {'smallest' if desc else 'largest'} is {rs[-1]}."
             + (" Remember that negative numbers are smaller than zero, so they come " + ("last." if desc else "first.") if any(x < 0 for x in xs) else "")
             + closer())
    extra = None
    while extra is None or extra in xs:
        extra = rng.randint(-5, 130)
    res2 = sorted(xs + [extra], reverse=desc)
    q2 = f"Add {extra} to that list and sort it again."
    pos = res2.index(extra) + 1
    follow = (q2, list_str(n(x) for x in res2),
              opener() + f"Here's the updated list with {extra} included:\n\n" + list_str(n(x) for x in res2)
              + f"\n\n{extra} lands in position {pos} of {len(res2)}." + closer())
    return q, human, synth, follow


def sort_words():
    cat = rng.choice(list(WORD_LISTS))
    xs = rng.sample(WORD_LISTS[cat], rng.randint(5, 8))
    res = sorted(xs, key=str.lower)
    q = rng.choice(["Put these {c} in alphabetical order: {l}",
                    "Alphabetize this list of {c}: {l}",
                    "Can you sort these {c} from A to Z? {l}"]).format(c=cat, l=list_str(xs))
    synth = (opener() + f"Here are the {cat} in alphabetical order:\n\n" + numbered(res)
             + closer())
    left = [w for w in WORD_LISTS[cat] if w not in xs]
    new = rng.choice(left)
    res2 = sorted(xs + [new], key=str.lower)
    q2 = f"Now add {new} and alphabetize the list again."
    follow = (q2, list_str(res2), opener() + f"Here's the updated list with {new} included:\n\n" + numbered(res2) + closer())
    return q, list_str(res), synth, follow


def sort_length():
    while True:
        xs = rng.sample(LENGTH_WORDS, rng.randint(4, 6))
        if len({len(x) for x in xs}) == len(xs):
            break
    longest_first = rng.random() < 0.35
    res = sorted(xs, key=len, reverse=longest_first)
    q = (rng.choice(["Order these words from shortest to longest: {l}",
                     "Sort these words by length, shortest first: {l}"]) if not longest_first else
         "Sort these words by length, longest first: {l}").format(l=list_str(xs))
    synth = (opener() + "Counting the letters in each word:\n\n"
             + bullets(f"{w}: {plural(len(w), 'letter')}" for w in xs)
             + f"\n\nSorted {'longest to shortest' if longest_first else 'shortest to longest'}: **{list_str(res)}**" + closer())
    return q, list_str(res), synth, None


def sort_prices():
    xs = rng.sample(PRICED, rng.randint(4, 6))
    desc = rng.random() < 0.3
    res = sorted(xs, key=lambda t: t[1], reverse=desc)
    shown = "; ".join(f"{nm} {money(F(c, 100))}" for nm, c in xs)
    q = (f"Rank these from most to least expensive: {shown}" if desc else
         rng.choice([f"Rank these items from cheapest to most expensive: {shown}",
                     f"I'm comparing prices. Order these from lowest to highest price: {shown}"]))
    human = "\n".join(f"{nm[0].upper() + nm[1:]} ({money(F(c, 100))})" for nm, c in res)
    tot = sum(c for _, c in xs)
    synth = (opener() + f"Here they are from {'most to least expensive' if desc else 'cheapest to most expensive'}:\n\n"
             + numbered(f"{nm[0].upper() + nm[1:]} — {money(F(c, 100))}" for nm, c in res)
             + f"\n\nThe price gap between the cheapest and the most expensive item is {money(F(abs(res[-1][1] - res[0][1]), 100))}."
             + closer())
    follow = (f"What would it cost to buy all {len(xs)} of those items?",
              f"{money(F(tot, 100))}.",
              opener() + "Adding up all the prices:\n\n" + " + ".join(money(F(c, 100)) for _, c in xs)
              + f" = **{money(F(tot, 100))}**" + closer())
    return q, human, synth, follow


def sort_dates():
    xs = sorted({rand_date(1998, 2030) for _ in range(rng.randint(4, 6))})
    rng.shuffle(xs)
    iso = rng.random() < 0.5
    f = d_iso if iso else d_long
    q = rng.choice(["Put these dates in chronological order: {l}",
                    "Sort these dates from earliest to latest: {l}"]).format(l="; ".join(f(x) for x in xs))
    res = sorted(xs)
    synth = (opener() + "Here they are from earliest to latest:\n\n" + numbered(f(x) for x in res)
             + f"\n\nThe earliest is {d_long(res[0])} and the latest is {d_long(res[-1])}." + closer())
    return q, "; ".join(f(x) for x in res), synth, None


def sort_planets():
    xs = rng.sample(PLANETS, rng.randint(4, 6))
    res = sorted(xs, key=PLANETS.index)
    q = rng.choice(["Order these planets by their distance from the Sun, closest first: {l}",
                    "Which order do these planets go in, starting nearest the Sun? {l}"]).format(l=list_str(xs))
    synth = (opener() + "Starting with the one closest to the Sun:\n\n" + numbered(res)
             + "\n\nFor reference, the full order of the eight planets is Mercury, Venus, Earth, Mars, Jupiter, Saturn, Uranus and Neptune."
             + closer())
    return q, list_str(res), synth, None


def sort_units():
    if rng.random() < 0.5:
        xs, kind = rng.sample(LEN_UNITS, rng.randint(4, 6)), "length"
        ref = LEN_UNITS
    else:
        xs, kind = rng.sample(TIME_UNITS, rng.randint(4, 6)), "time"
        ref = TIME_UNITS
    res = sorted(xs, key=ref.index)
    q = rng.choice([f"Order these units of {kind} from smallest to largest: {{l}}",
                    f"Rank these {kind} units from shortest to longest: {{l}}"]).format(l=list_str(xs))
    synth = (opener() + "From smallest to largest:\n\n" + numbered(res) + closer())
    return q, list_str(res), synth, None


def sort_median():
    k = rng.choice([5, 7, 9])
    xs = rand_nums(k, 1, 80)
    res = sorted(xs)
    med = res[k // 2]
    q = rng.choice(["What is the median of these numbers: {l}?", "Find the median of {l}."]).format(l=list_str(xs))
    synth = (opener() + "To find the median, sort the numbers first:\n\n" + list_str(res) + "\n\n"
             + f"There are {k} numbers, so the median is the middle one, the {ordinal(k // 2 + 1)} value: **{med}**." + closer())
    return q, f"{med} (sorted: {list_str(res)}).", synth, None


def sort_dedupe():
    base = rand_nums(rng.randint(4, 6), 1, 50)
    xs = base + rng.sample(base, 3)
    rng.shuffle(xs)
    res = sorted(set(xs))
    q = rng.choice(["Remove the duplicates from this list and sort what's left in ascending order: {l}",
                    "Give me the unique values from {l}, sorted from smallest to largest."]).format(l=list_str(xs))
    dup = sorted(x for x, c in Counter(xs).items() if c > 1)
    synth = (opener() + f"The values that appear more than once are {join_and(str(x) for x in dup)}. "
             + "Keeping one copy of each and sorting gives:\n\n" + list_str(res)
             + f"\n\nThat's {len(res)} unique values out of the original {len(xs)}." + closer())
    return q, list_str(res), synth, None


def sort_lastname():
    xs = rng.sample(PEOPLE_FULL, rng.randint(4, 6))
    res = sorted(xs, key=lambda s_: s_.split()[-1])
    q = rng.choice(["Alphabetize these people by last name: {l}",
                    "Sort this attendee list by surname: {l}"]).format(l=list_str(xs))
    synth = (opener() + "Sorted alphabetically by last name:\n\n" + numbered(res) + closer())
    return q, "\n".join(res), synth, None


def sort_versions():
    while True:
        k = rng.randint(4, 5)
        vs = set()
        while len(vs) < k:
            vs.add((rng.choice([1, 2, 3]), rng.choice([0, 2, 9, 10, 11, 12, 4]), rng.randint(0, 14)))
        vs = list(vs)
        rng.shuffle(vs)
        as_text = sorted(vs, key=lambda v: ".".join(map(str, v)))
        res = sorted(vs)
        if as_text != res:  # make sure the numeric-vs-text trap is present
            break
    pre = "v" if rng.random() < 0.4 else ""
    f_ = lambda v: pre + ".".join(map(str, v))
    newest_only = rng.random() < 0.3
    if newest_only:
        q = f"Which of these releases is the newest: {list_str(f_(v) for v in vs)}?"
        human = f"{f_(res[-1])}."
        synth = (opener() + f"The newest release is **{f_(res[-1])}**.\n\n"
                 + "Version numbers are compared part by part as numbers: first the major version, then the minor, then the patch. "
                 + "So 10 counts as bigger than 9, even though \"1.10\" would come before \"1.9\" in plain alphabetical order.\n\n"
                 + f"From oldest to newest: {list_str(f_(v) for v in res)}." + closer())
    else:
        q = rng.choice(["Sort these version numbers from oldest to newest: {l}",
                        "Put these software versions in order, oldest first: {l}"]).format(l=list_str(f_(v) for v in vs))
        human = list_str(f_(v) for v in res)
        synth = (opener() + "Here they are from oldest to newest:\n\n" + numbered(f_(v) for v in res)
                 + "\n\nEach part (major.minor.patch) is compared as a number, from left to right. That's why, for example, "
                 + "a minor version of 10 is newer than 9, even though a plain text sort would put \"10\" first." + closer())
    return q, human, synth, None


SORT_PLAN = [(lambda: sort_numbers(False), 6), (lambda: sort_numbers(True), 4),
             (lambda: sort_numbers(False, True), 2), (sort_words, 6), (sort_length, 4),
             (sort_prices, 4), (sort_dates, 4), (sort_planets, 3), (sort_units, 3),
             (sort_median, 3), (sort_dedupe, 2), (sort_lastname, 3), (sort_versions, 4)]


def gen_sorting(count):
    out = []
    for fn, k in SORT_PLAN:
        made = 0
        while made < k:
            q, h, s, f = fn()
            if not claim(q):
                continue
            if f and not claim(f[0]):
                f = None
            out.append(item("sorting", q, h, s, f))
            made += 1
    return out[:count]


# --------------------------------------------------------------------------
# 6. Factual QA (hand-written fact bank; only well-established facts)
# --------------------------------------------------------------------------

# (country, capital, continent or None if it spans two, note for the verbose voice)
CAPITALS = [
    ("Australia", "Canberra", "Oceania", "Many people guess Sydney, the largest city, but Canberra was purpose-built to be the capital."),
    ("Canada", "Ottawa", "North America", "Ottawa is in the province of Ontario, on the Ottawa River."),
    ("Brazil", "Brasília", "South America", "Brasília replaced Rio de Janeiro as the capital in 1960."),
    ("Turkey", "Ankara", None, "Istanbul is the largest city, but Ankara has been the capital since 1923."),
    ("Switzerland", "Bern", "Europe", "Swiss law calls Bern the \"federal city\" rather than the capital, but it is the seat of the federal government and is generally treated as the capital."),
    ("New Zealand", "Wellington", "Oceania", "Auckland is the biggest city, but Wellington, at the southern end of the North Island, is the capital."),
    ("Nigeria", "Abuja", "Africa", "Abuja replaced Lagos as the capital in 1991."),
    ("Morocco", "Rabat", "Africa", "Casablanca is the largest city, but Rabat is the capital."),
    ("Vietnam", "Hanoi", "Asia", "Ho Chi Minh City in the south is larger, but Hanoi in the north is the capital."),
    ("Hungary", "Budapest", "Europe", "The city was formed in 1873 when Buda, Óbuda and Pest were united."),
    ("the Netherlands", "Amsterdam", "Europe", "Amsterdam is the capital under the constitution, although the government and parliament sit in The Hague."),
    ("South Africa", "Pretoria, Cape Town and Bloemfontein", "Africa", "South Africa has three capital cities: Pretoria (executive), Cape Town (legislative) and Bloemfontein (judicial)."),
    ("Peru", "Lima", "South America", "Lima sits on the Pacific coast and is also Peru's largest city."),
    ("Ghana", "Accra", "Africa", "Accra is on the Gulf of Guinea coast and is Ghana's largest city."),
    ("Finland", "Helsinki", "Europe", "Helsinki is on the southern coast, on the Gulf of Finland."),
    ("Chile", "Santiago", "South America", "Santiago lies in a valley with the Andes mountains to its east."),
]

CAPITAL_Q = ["What is the capital of {c}?", "What's the capital city of {c}?",
             "Which city is the capital of {c}?",
             "I'm helping my kids with a geography quiz. What's the capital of {c}?",
             "Name the capital of {c}.", "Quick question: which city serves as the capital of {c}?",
             "Where is the capital of {c}?", "I'm reading about {c}. What's its capital?"]

# (name, symbol, atomic number, where the symbol comes from or None)
ELEMENTS = [
    ("gold", "Au", 79, "The symbol comes from its Latin name, aurum."),
    ("iron", "Fe", 26, "The symbol comes from the Latin word ferrum."),
    ("sodium", "Na", 11, "The symbol comes from its Latin name, natrium."),
    ("potassium", "K", 19, "The symbol comes from its Latin name, kalium."),
    ("lead", "Pb", 82, "The symbol comes from the Latin word plumbum, which is also where the word \"plumbing\" comes from."),
    ("copper", "Cu", 29, "The symbol comes from the Latin cuprum."),
    ("tin", "Sn", 50, "The symbol comes from the Latin stannum."),
    ("mercury", "Hg", 80, "The symbol comes from its Greek-derived Latin name, hydrargyrum, meaning \"liquid silver\"."),
    ("tungsten", "W", 74, "The symbol comes from wolfram, another name for the element."),
    ("calcium", "Ca", 20, None),
    ("helium", "He", 2, None),
]

ELEMENT_Q = ["What is the chemical symbol for {e}?", "What's the symbol for {e} on the periodic table?",
             "Which element has the symbol {s}?", "What element does the symbol {s} stand for?"]

# (question phrasings, human answer, verbose answer body)
GENERAL_FACTS = [
    (["Which planet is the largest in our solar system?", "What's the biggest planet orbiting the Sun?"],
     "Jupiter.",
     "The largest planet in our solar system is **Jupiter**. It's a gas giant, and its mass is more than twice that of all the other planets combined."),
    (["Which planet is closest to the Sun?", "What is the innermost planet of the solar system?"],
     "Mercury.",
     "**Mercury** is the closest planet to the Sun. It's also the smallest of the eight planets."),
    (["Why is Mars called the Red Planet?", "What gives Mars its red color?"],
     "Its surface is covered in iron oxide (rust) dust, which looks red.",
     "Mars looks red because its surface rocks and dust are rich in **iron oxide**, the same compound we call rust.\n\n- Fine rusty dust covers much of the surface.\n- Dust is also lifted into the thin atmosphere, which can give the Martian sky a reddish or butterscotch tint."),
    (["What is the hottest planet in the solar system?", "Which planet has the highest surface temperature?"],
     "Venus. Its thick CO2 atmosphere traps heat, so it's hotter than Mercury.",
     "The hottest planet is **Venus**, even though Mercury is closer to the Sun.\n\nVenus has a very thick atmosphere made mostly of carbon dioxide, which traps heat through a runaway greenhouse effect. Its surface temperature is around 460°C (about 860°F), hot enough to melt lead."),
    (["How many planets are in our solar system?", "How many planets orbit the Sun?"],
     "Eight. Pluto was reclassified as a dwarf planet in 2006.",
     "There are **eight** planets in our solar system: Mercury, Venus, Earth, Mars, Jupiter, Saturn, Uranus and Neptune.\n\nPluto was counted as the ninth planet until 2006, when the International Astronomical Union reclassified it as a dwarf planet."),
    (["At what temperature does water boil at sea level?", "What's the boiling point of water in Celsius?"],
     "100°C (212°F) at sea level.",
     "At sea level, water boils at **100°C (212°F)**.\n\nThe boiling point depends on air pressure: at higher altitudes the pressure is lower, so water boils at a lower temperature. That's why cooking times can be longer in the mountains."),
    (["What is the chemical formula for table salt?", "What's the chemical name and formula of ordinary salt?"],
     "NaCl, sodium chloride.",
     "Table salt is **sodium chloride**, with the chemical formula **NaCl**. Each unit contains one sodium ion (Na⁺) and one chloride ion (Cl⁻)."),
    (["Which gas do plants take in from the air for photosynthesis?", "What gas do plants absorb to make their food?"],
     "Carbon dioxide (CO2).",
     "Plants take in **carbon dioxide (CO₂)** from the air.\n\nDuring photosynthesis they use light energy to combine carbon dioxide and water into glucose, releasing oxygen as a by-product."),
    (["What is the largest organ of the human body?", "Which organ in the human body is the biggest?"],
     "The skin.",
     "The largest organ of the human body is the **skin**. It protects the body, helps control temperature, and lets us sense touch, heat and pain."),
    (["How many bones does an adult human have?", "How many bones are in the adult human skeleton?"],
     "206.",
     "An adult human skeleton typically has **206 bones**.\n\nBabies are born with more (around 270), but many of them fuse together as the body grows, for example in the skull and the lower spine."),
    (["How many chambers does the human heart have?", "How many chambers are in a human heart?"],
     "Four: two atria and two ventricles.",
     "The human heart has **four chambers**:\n\n- Two upper chambers, the left and right **atria**, which receive blood.\n- Two lower chambers, the left and right **ventricles**, which pump blood out to the lungs and the rest of the body."),
    (["What does DNA stand for?", "What is the full name of DNA?"],
     "Deoxyribonucleic acid.",
     "DNA stands for **deoxyribonucleic acid**. It's the molecule that carries the genetic instructions living things use to grow, function and reproduce."),
    (["What is the SI unit of force?", "Which unit is force measured in?"],
     "The newton (N).",
     "The SI unit of force is the **newton (N)**, named after Isaac Newton.\n\nOne newton is the force needed to accelerate a 1 kg mass by 1 meter per second squared (1 N = 1 kg·m/s²)."),
    (["What is the largest ocean on Earth?", "Which ocean is the biggest?"],
     "The Pacific.",
     "The largest ocean is the **Pacific Ocean**. It covers roughly a third of Earth's surface, more than all the land on the planet put together."),
    (["What is the tallest mountain above sea level?", "Which mountain is the highest on Earth?"],
     "Mount Everest, about 8,849 m.",
     "The tallest mountain above sea level is **Mount Everest**, on the border between Nepal and China. Its summit is about 8,849 meters (29,032 feet) above sea level."),
    (["Who painted the Mona Lisa?", "Which artist painted the Mona Lisa?"],
     "Leonardo da Vinci.",
     "The Mona Lisa was painted by **Leonardo da Vinci**, the Italian Renaissance artist. It hangs in the Louvre in Paris."),
    (["Who wrote Pride and Prejudice?", "Who is the author of the novel Pride and Prejudice?"],
     "Jane Austen.",
     "*Pride and Prejudice* was written by **Jane Austen** and first published in 1813."),
    (["Who discovered penicillin?", "Which scientist discovered penicillin, and when?"],
     "Alexander Fleming, in 1928.",
     "Penicillin was discovered by **Alexander Fleming** in 1928, when he noticed that a mold had stopped bacteria from growing in one of his culture dishes. It went on to become one of the first widely used antibiotics."),
    (["In what year did people first land on the Moon?", "When was the first crewed Moon landing?"],
     "1969 (Apollo 11).",
     "The first crewed Moon landing was in **1969**. On July 20, 1969, Apollo 11's Neil Armstrong and Buzz Aldrin landed on the Moon, while Michael Collins stayed in orbit."),
    (["What is the main gas in Earth's atmosphere?", "Which gas makes up most of the air we breathe?"],
     "Nitrogen, about 78%.",
     "The most abundant gas in Earth's atmosphere is **nitrogen**, at about 78% by volume.\n\n- Oxygen makes up about 21%.\n- Argon is just under 1%.\n- Carbon dioxide and other gases make up the small remainder."),
    (["Who was the first woman to win a Nobel Prize?", "Which woman won a Nobel Prize first?"],
     "Marie Curie, in 1903 (Physics).",
     "The first woman to win a Nobel Prize was **Marie Curie**, who shared the 1903 Nobel Prize in Physics. She later won the 1911 Nobel Prize in Chemistry, making her the first person to win Nobel Prizes in two different sciences."),
    (["In what year did the Berlin Wall fall?", "When did the Berlin Wall come down?"],
     "1989.",
     "The Berlin Wall fell in **1989**, when the border crossings were opened on November 9. Germany was reunified less than a year later, in October 1990."),
]


def gen_facts(count):
    out = []
    caps = CAPITALS[:]
    els = ELEMENTS[:]
    gen = GENERAL_FACTS[:]
    cap_tpls = []
    for c, cap, cont, note in caps:
        if not cap_tpls:
            cap_tpls = CAPITAL_Q[:]
            rng.shuffle(cap_tpls)
        q = cap_tpls.pop().format(c=c)
        claim(q)
        multi = "," in cap or " and " in cap
        Cc = c[0].upper() + c[1:]
        if multi:
            human = note
            synth = opener(True) + f"South Africa is unusual: it has **three** capitals.\n\n" + bullets(
                ["**Pretoria** is the executive capital (seat of the president and government).",
                 "**Cape Town** is the legislative capital (seat of parliament).",
                 "**Bloemfontein** is the judicial capital (seat of the Supreme Court of Appeal)."]) + closer()
        else:
            human = rng.choice([f"{cap}.", f"{cap}.", f"The capital of {c} is {cap}."])
            synth = opener(True) + f"The capital of {c} is **{cap}**. {note}" + closer()
        follow = None
        if cont:
            q2 = rng.choice([f"Which continent is {c} in?", f"And what continent is {c} on?"])
            if claim(q2):
                follow = (q2, f"{cont}.", opener(True) + f"{Cc} is in **{cont}**." + closer())
        out.append(item("factual_qa", q, human, synth, follow))
    for name, sym, z, note in els:
        t = rng.choice(ELEMENT_Q)
        q = t.format(e=name, s=sym)
        claim(q)
        if "{s}" in t:
            human = rng.choice([f"{name.capitalize()}.", f"{sym} is {name}."])
            synth = opener(True) + f"The symbol **{sym}** stands for **{name}**, element number {z} on the periodic table." + (f" {note}" if note else "") + closer()
        else:
            human = rng.choice([f"{sym}.", f"{sym}.", f"The symbol for {name} is {sym}."])
            synth = opener(True) + f"The chemical symbol for {name} is **{sym}**." + (f" {note}" if note else " It is element number " + str(z) + " on the periodic table.") + closer()
        follow = None
        q2 = f"What is the atomic number of {name}?"
        if claim(q2):
            follow = (q2, f"{z}.", opener(True) + f"The atomic number of {name} is **{z}**, which means every {name} atom has {z} protons in its nucleus." + closer())
        out.append(item("factual_qa", q, human, synth, follow))
    for qs, h, body in gen:
        q = rng.choice(qs)
        claim(q)
        out.append(item("factual_qa", q, h, opener(True) + body + closer(), None))
    return out[:count]


# --------------------------------------------------------------------------
# 7. Definitions of common words and concepts (hand-written)
# --------------------------------------------------------------------------

# (term, is_single_word, concise definition, verbose lead, key points, example)
DEFINITIONS = [
    ("photosynthesis", True,
     "The process plants, algae and some bacteria use to turn light, water and carbon dioxide into sugar, giving off oxygen.",
     "**Photosynthesis** is the process by which plants, algae and some bacteria capture energy from light and store it as chemical energy in sugar.",
     ["It uses carbon dioxide from the air and water from the soil.",
      "It happens mainly in chloroplasts, which contain the green pigment chlorophyll.",
      "Oxygen is released as a by-product."],
     "A leaf sitting in sunlight is constantly making glucose this way, which the plant uses for energy and growth."),
    ("inflation", True,
     "A general rise in prices over time, so each unit of money buys a bit less than before.",
     "**Inflation** is the rate at which the general level of prices for goods and services rises over time.",
     ["It is usually reported as a yearly percentage.",
      "When inflation is high, savings lose purchasing power unless they earn interest.",
      "Central banks often aim for low, stable inflation rather than zero."],
     "If inflation is 3% a year, a basket of groceries that costs $100 today would cost about $103 a year from now."),
    ("algorithm", True,
     "A step-by-step set of instructions for solving a problem or completing a task.",
     "An **algorithm** is a precise, step-by-step procedure for solving a problem or accomplishing a task.",
     ["Each step is clear and unambiguous.",
      "It takes some input and produces an output.",
      "It should finish after a finite number of steps."],
     "A recipe is an everyday algorithm; in computing, a method for sorting a list of names alphabetically is another."),
    ("metaphor", True,
     "A figure of speech that describes something by saying it is something else, like \"time is a thief\".",
     "A **metaphor** is a figure of speech that describes one thing by saying it *is* another, to suggest a likeness between them.",
     ["Unlike a simile, it doesn't use \"like\" or \"as\".",
      "It helps make abstract ideas more vivid or concrete."],
     "\"The classroom was a zoo\" doesn't mean there were animals; it suggests the room was loud and chaotic."),
    ("democracy", True,
     "A system of government where power belongs to the people, who rule directly or through elected representatives.",
     "**Democracy** is a system of government in which power rests with the people, who exercise it directly or by electing representatives.",
     ["Citizens vote in free and fair elections.",
      "Rights such as free speech and a free press let people criticize those in power.",
      "Laws apply to everyone, including leaders."],
     "In a representative democracy, voters choose members of a parliament or congress who then make laws on their behalf."),
    ("ecosystem", True,
     "A community of living things interacting with each other and with their physical surroundings.",
     "An **ecosystem** is a community of living organisms together with the non-living environment they interact with.",
     ["Living parts include plants, animals, fungi and microbes.",
      "Non-living parts include water, soil, sunlight and climate.",
      "Energy and nutrients flow between the parts, for example through food chains."],
     "A pond is a small ecosystem: algae, insects, frogs and fish all depend on the water, light and mud around them."),
    ("compound interest", False,
     "Interest earned on both your original money and the interest it has already earned.",
     "**Compound interest** is interest calculated on the original amount (the principal) *plus* any interest that has already been added.",
     ["Your balance grows faster over time than with simple interest.",
      "How often interest is added (yearly, monthly, daily) affects the total.",
      "The same effect makes debts grow quickly if they aren't paid down."],
     "Put $1,000 in an account paying 5% a year: after one year you have $1,050, and after two years $1,102.50, because the second year's interest is also earned on the first year's $50."),
    ("opportunity cost", False,
     "The value of the best alternative you give up when you make a choice.",
     "**Opportunity cost** is what you give up by choosing one option over the next best alternative.",
     ["It includes time and enjoyment, not just money.",
      "It helps compare choices fairly, since every choice rules something else out."],
     "If you spend Saturday working an extra shift, the opportunity cost might be the hike with friends you skipped."),
    ("variable (in programming)", False,
     "A named storage spot for a value that your program can read and change.",
     "In programming, a **variable** is a name that refers to a value stored in memory, so your code can use and update it.",
     ["You assign a value to it, for example `count = 5`.",
      "The value can change as the program runs (`count = count + 1`).",
      "Good variable names make code much easier to read."],
     "In `total = price * quantity`, `total`, `price` and `quantity` are all variables."),
    ("empathy", True,
     "The ability to understand and share how someone else feels.",
     "**Empathy** is the ability to understand and share the feelings of another person, to see a situation from their point of view.",
     ["It is different from sympathy, which is feeling sorry *for* someone.",
      "It can be practiced by listening carefully and asking questions."],
     "When a friend is stressed about an exam and you remember how that felt for you, and respond with patience, you're showing empathy."),
    ("renewable energy", False,
     "Energy from sources that are naturally replenished, like sunlight, wind, flowing water and geothermal heat.",
     "**Renewable energy** comes from natural sources that replenish themselves on a human timescale.",
     ["Common types: solar, wind, hydroelectric, geothermal and biomass.",
      "They produce far fewer greenhouse gas emissions than coal, oil or gas when generating electricity.",
      "Some, like solar and wind, vary with the weather, so storage and grid planning matter."],
     "Solar panels on a roof turn sunlight into electricity for the house."),
    ("biodiversity", True,
     "The variety of life in an area, from genes and species to whole ecosystems.",
     "**Biodiversity** (biological diversity) is the variety of life on Earth or in a particular place.",
     ["It includes the number of different species.",
      "It includes genetic variety within each species.",
      "It includes the range of ecosystems, such as forests, wetlands and coral reefs."],
     "A tropical rainforest has very high biodiversity, with thousands of plant, insect and animal species in a small area."),
    ("irony", True,
     "A contrast between what's expected and what actually happens, or between what's said and what's meant.",
     "**Irony** is a contrast between expectation and reality, or between what is said and what is meant.",
     ["Verbal irony: saying the opposite of what you mean (\"Lovely weather!\" during a storm).",
      "Situational irony: an outcome that's the opposite of what you'd expect.",
      "Dramatic irony: the audience knows something a character doesn't."],
     "A fire station burning down is a classic example of situational irony."),
    ("recession", True,
     "A significant, widespread decline in economic activity that lasts more than a few months.",
     "A **recession** is a significant, broad decline in economic activity that lasts for months or longer.",
     ["Signs include falling output, rising unemployment and weaker spending.",
      "A common rule of thumb is two consecutive quarters of falling GDP, though official bodies use broader measures."],
     "During a recession, businesses may cut hiring and consumers often postpone big purchases."),
    ("vaccine", True,
     "A preparation that trains your immune system to recognize a germ, so you can fight it off faster later.",
     "A **vaccine** is a preparation that teaches the immune system to recognize a specific germ, such as a virus or bacterium, without causing the disease.",
     ["It exposes the body to a harmless piece, a weakened or inactivated form, or instructions to make a piece of the germ.",
      "The immune system responds and forms a memory of it.",
      "If the real germ shows up later, the body can respond much faster."],
     "The measles vaccine greatly reduces the chance that a vaccinated child will catch measles."),
    ("hypothesis", True,
     "A proposed explanation that can be tested, used as the starting point for an investigation.",
     "A **hypothesis** is a proposed, testable explanation for an observation.",
     ["It must be possible to test it with an experiment or observation.",
      "It can be supported or refuted by evidence.",
      "It is often phrased as an \"if ..., then ...\" statement."],
     "\"If tomato plants get more sunlight, then they will produce more tomatoes\" is a hypothesis you can test with two groups of plants."),
    ("procrastination", True,
     "Putting off things you mean to do, even when you know the delay will cause trouble.",
     "**Procrastination** is the habit of delaying tasks you intend to do, often in favor of something easier or more pleasant.",
     ["It is usually linked to avoiding unpleasant feelings, not laziness.",
      "Breaking tasks into small steps can make starting easier."],
     "Reorganizing your desk for an hour instead of starting an essay is a typical form of procrastination."),
    ("carbon footprint", False,
     "The total greenhouse gas emissions caused by a person, product or activity.",
     "A **carbon footprint** is the total amount of greenhouse gases released by a person, organization, product or activity.",
     ["It is usually expressed in tonnes of carbon dioxide equivalent (CO₂e).",
      "Travel, home energy use and food are big parts of a typical personal footprint."],
     "Taking a train instead of a short-haul flight usually lowers the carbon footprint of a trip."),
    ("supply and demand", False,
     "The idea that prices are set by how much of something is available versus how much people want it.",
     "**Supply and demand** is a basic economic model that explains how prices are determined in a market.",
     ["Supply is how much of a product sellers are willing to offer at each price.",
      "Demand is how much buyers want at each price.",
      "When demand rises and supply stays the same, prices tend to go up, and vice versa."],
     "When a new game console launches and stores have only a few units, high demand and limited supply push resale prices up."),
    ("encryption", True,
     "Scrambling information so only someone with the right key can read it.",
     "**Encryption** is the process of converting readable data into a scrambled form that can only be turned back with the correct key.",
     ["It protects data in transit, such as web traffic, and at rest, such as files on a disk.",
      "Without the key, the scrambled data looks like random noise."],
     "When a website address starts with https, the data between your browser and the site is encrypted."),
    ("bandwidth", True,
     "How much data a connection can carry per second, such as 100 megabits per second.",
     "**Bandwidth** is the maximum rate at which data can be transferred over a network connection.",
     ["It is usually measured in bits per second, for example megabits per second (Mbps).",
      "More bandwidth means more data can move at once, like a wider road carrying more cars.",
      "Informally, people also use it to mean how much time or energy they have (\"I don't have the bandwidth for that\")."],
     "Streaming a high-definition video uses far more bandwidth than sending a text message."),
    ("catalyst", True,
     "A substance that speeds up a chemical reaction without being used up itself.",
     "A **catalyst** is a substance that speeds up a chemical reaction without being permanently changed or consumed.",
     ["It lowers the energy needed for the reaction to happen.",
      "Enzymes are the catalysts in living things.",
      "The word is also used figuratively for anything that sparks change."],
     "A car's catalytic converter uses metals such as platinum to help turn harmful exhaust gases into less harmful ones."),
    ("erosion", True,
     "The gradual wearing away of rock and soil by water, wind, ice or gravity.",
     "**Erosion** is the process by which rock and soil are worn away and moved from one place to another.",
     ["Water, wind, ice and gravity are the main forces involved.",
      "It shapes landscapes over long periods, carving valleys and cliffs.",
      "Plant roots help hold soil in place and reduce erosion."],
     "Over millions of years, the Colorado River's erosion carved out the Grand Canyon."),
    ("nostalgia", True,
     "A sentimental longing for the past, often a happy time you remember fondly.",
     "**Nostalgia** is a sentimental longing or affection for a period in the past.",
     ["It often mixes happiness with a little sadness.",
      "Music, smells and old photos are common triggers."],
     "Hearing a song you loved as a teenager and suddenly missing those summers is nostalgia."),
    ("resilience", True,
     "The ability to recover from setbacks and adapt when things get hard.",
     "**Resilience** is the capacity to recover from difficulties and adapt to challenges.",
     ["In people, it means coping with stress and bouncing back from setbacks.",
      "In systems (like a power grid or a business), it means continuing to work when something fails.",
      "It can be strengthened through support networks and healthy habits."],
     "A student who fails a test, figures out what went wrong and does better next time is showing resilience."),
    ("placebo", True,
     "A treatment with no active ingredient, like a sugar pill, often used for comparison in medical studies.",
     "A **placebo** is a substance or treatment that has no active therapeutic effect, such as a sugar pill.",
     ["Clinical trials compare a real treatment against a placebo to see whether it truly works.",
      "The \"placebo effect\" is when people feel better simply because they expect to."],
     "In a trial, one group gets the new medicine and the other gets identical-looking placebo pills."),
    ("evaporation", True,
     "When a liquid turns into a gas at its surface, without needing to boil.",
     "**Evaporation** is the process by which a liquid changes into a gas at its surface.",
     ["It can happen at temperatures below the boiling point.",
      "Heat, wind and low humidity make it happen faster.",
      "It is a key step in the water cycle."],
     "A puddle slowly disappearing on a sunny day is water evaporating."),
    ("latitude", True,
     "How far north or south a place is from the equator, measured in degrees from 0° to 90°.",
     "**Latitude** is the angular distance of a place north or south of the equator.",
     ["The equator is 0°; the North and South Poles are 90°N and 90°S.",
      "Lines of latitude run east to west and are parallel to each other."],
     "Places at high latitudes, like northern Norway, have very long summer days and very short winter days."),
    ("longitude", True,
     "How far east or west a place is from the prime meridian, measured in degrees from 0° to 180°.",
     "**Longitude** is the angular distance of a place east or west of the prime meridian.",
     ["The prime meridian (0°) runs through Greenwich in London.",
      "Longitude goes up to 180° east and 180° west.",
      "Together with latitude, it pinpoints any location on Earth."],
     "Time zones are roughly based on longitude: Earth turns 15° every hour."),
    ("synonym", True,
     "A word that means the same or nearly the same as another word, like \"big\" and \"large\".",
     "A **synonym** is a word that has the same or nearly the same meaning as another word.",
     ["Synonyms can make writing less repetitive.",
      "They often differ slightly in tone or usage, so they aren't always interchangeable."],
     "\"Happy\", \"cheerful\" and \"glad\" are synonyms, though each has a slightly different feel."),
    ("haiku", True,
     "A short poem of three lines, traditionally with 5, 7 and 5 syllables, often about nature.",
     "A **haiku** is a short poetic form that originated in Japan.",
     ["In English it is usually written as three lines of 5, 7 and 5 syllables.",
      "Traditional haiku often refer to nature or a season.",
      "The goal is to capture a single moment or image."],
     "Morning fog lifting (5) / the heron waits without sound (7) / then the river moves (5)."),
    ("recursion", True,
     "When a function solves a problem by calling itself on smaller versions of the same problem.",
     "**Recursion** is a technique where a function calls itself to solve smaller instances of the same problem.",
     ["Every recursive function needs a **base case** that stops the calls.",
      "Each call should move closer to the base case.",
      "It suits problems with a naturally nested structure, like folders inside folders."],
     "To compute 5! you can compute 5 × 4!, then 4 × 3!, and so on, until you reach 1! = 1, the base case."),
    ("open-source software", False,
     "Software whose source code is published so anyone can use, study, change and share it under its license.",
     "**Open-source software** is software whose source code is publicly available under a license that lets people use, study, modify and redistribute it.",
     ["Anyone can read the code to see how it works.",
      "Communities of volunteers and companies often develop it together.",
      "The license sets the rules, for example whether changes must also be shared."],
     "The Python programming language and the Linux kernel are well-known open-source projects."),
    ("cloud computing", False,
     "Renting computing resources like servers, storage and software over the internet instead of running your own.",
     "**Cloud computing** means using computing resources, such as servers, storage, databases and software, delivered over the internet by a provider.",
     ["You pay for what you use instead of buying hardware up front.",
      "Resources can be scaled up or down quickly.",
      "The provider handles much of the maintenance."],
     "Storing your photos in an online storage service instead of only on your laptop is a simple use of cloud computing."),
    ("machine learning", False,
     "A branch of AI where computers learn patterns from data instead of being given explicit rules.",
     "**Machine learning** is a branch of artificial intelligence in which computer systems learn patterns from data rather than following hand-written rules.",
     ["A model is trained on examples.",
      "Once trained, it can make predictions on new data.",
      "Its quality depends heavily on the data it learned from."],
     "A spam filter that learns from thousands of labeled emails which messages are likely to be junk uses machine learning."),
    ("mortgage", True,
     "A loan used to buy property, where the property itself is the security for the loan.",
     "A **mortgage** is a loan used to buy a home or other property, with the property serving as collateral.",
     ["You repay it in installments over many years, often 15 to 30.",
      "Each payment usually covers some interest and some of the original loan.",
      "If payments stop, the lender can take the property."],
     "A family buys a house by paying 20% up front and taking a mortgage for the remaining 80%."),
    ("dividend", True,
     "A share of a company's profits paid out to its shareholders.",
     "A **dividend** is a payment a company makes to its shareholders, usually from its profits.",
     ["It is often paid quarterly or yearly.",
      "It is usually stated as an amount per share.",
      "Not all companies pay dividends; some reinvest their profits instead."],
     "If a company pays a dividend of $0.50 per share and you own 100 shares, you receive $50."),
    ("allergy", True,
     "When the immune system overreacts to something usually harmless, like pollen or peanuts.",
     "An **allergy** is an overreaction of the immune system to a substance that is normally harmless.",
     ["Common triggers include pollen, dust mites, pet dander, certain foods and insect stings.",
      "Symptoms range from sneezing and itching to, in severe cases, a dangerous reaction called anaphylaxis."],
     "Someone with hay fever sneezes and gets itchy eyes when pollen counts are high."),
    ("fossil", True,
     "The preserved remains or traces of a living thing from the distant past, usually found in rock.",
     "A **fossil** is the preserved remains, impression or trace of an organism that lived long ago.",
     ["Most fossils form when remains are buried in sediment that slowly turns to rock.",
      "Traces like footprints and burrows can also be fossils.",
      "Fossils help scientists understand how life has changed over time."],
     "Dinosaur bones and the imprint of an ancient leaf in a slab of shale are both fossils."),
    ("API", True,
     "Application programming interface: a defined way for one program to request data or actions from another.",
     "An **API** (application programming interface) is a set of defined rules that lets one piece of software talk to another.",
     ["It specifies what requests you can make and what responses you'll get.",
      "It hides the internal details of the system behind it.",
      "Web APIs usually exchange data in formats like JSON."],
     "A weather app on your phone gets its forecasts by calling a weather service's API."),
    ("budget", True,
     "A plan for how you'll spend and save your money over a set period.",
     "A **budget** is a plan that estimates income and sets limits for spending and saving over a period of time.",
     ["It helps you see where your money goes.",
      "It usually covers fixed costs (like rent), variable costs (like groceries) and savings.",
      "Reviewing it regularly lets you adjust as things change."],
     "A monthly budget might set aside a fixed amount for rent, a limit for groceries, and 10% of income for savings."),
    ("animal migration", False,
     "The regular, often seasonal, movement of animals from one region to another, usually for food, breeding or better weather.",
     "**Animal migration** is the regular, large-scale movement of animals between regions, usually with the seasons.",
     ["Animals migrate to find food, breed or escape harsh weather.",
      "Many species return to the same places every year.",
      "Birds, fish, mammals and even insects migrate."],
     "Arctic terns travel between the Arctic and the Antarctic every year, one of the longest migrations of any animal."),
    ("GDP", True,
     "Gross domestic product: the total value of goods and services produced in a country over a period.",
     "**GDP** (gross domestic product) is the total market value of all final goods and services produced within a country in a given period.",
     ["It is usually reported quarterly and yearly.",
      "GDP growth is a common measure of how an economy is doing.",
      "GDP per person is often used to compare living standards, though it leaves out things like inequality."],
     "If a country's GDP grows by 2% in a year, the economy produced 2% more value than the year before (before adjusting for inflation, if it's the nominal figure)."),
]

DEF_Q_WORD = ["What does \"{t}\" mean?", "Define \"{t}\".", "What's the meaning of the word \"{t}\"?",
              "Can you explain what {at} is in simple terms?", "I keep hearing the term \"{t}\". What does it mean?"]
DEF_Q_CONCEPT = ["What is {at}?", "Can you explain {at} in simple terms?", "Define the term \"{t}\".",
                 "I keep hearing about {t}. What is it?", "In a few sentences, what is {at}?"]
DEF_CUSTOM_Q = {"variable (in programming)": ["What is a variable in programming?",
                                             "In programming, what does the word \"variable\" mean?"]}
DEF_ARTICLE = {"metaphor": "a", "ecosystem": "an", "variable (in programming)": "a", "recession": "a",
               "vaccine": "a", "hypothesis": "a", "catalyst": "a", "placebo": "a", "synonym": "a",
               "haiku": "a", "mortgage": "a", "dividend": "a", "allergy": "an", "fossil": "a",
               "API": "an", "budget": "a", "algorithm": "an", "carbon footprint": "a"}


def gen_definitions(count):
    out = []
    for term, single, human, lead, points, example in DEFINITIONS:
        pool = DEF_Q_WORD if single else DEF_Q_CONCEPT
        pool = DEF_CUSTOM_Q.get(term, pool)
        while True:
            art = DEF_ARTICLE.get(term)
            q = rng.choice(pool).format(t=term, at=f"{art} {term}" if art else term)
            if claim(q):
                break
        synth = (opener(True) + lead + "\n\n**Key points:**\n" + bullets(points)
                 + "\n\n**Example:** " + example + closer())
        h = human
        if rng.random() < 0.3:
            h = human + " Example: " + example
        out.append(item("definition", q, h, synth, None))
    return out[:count]


# --------------------------------------------------------------------------
# 8. Classification (sentiment / topic / spam) of sentences written here
# --------------------------------------------------------------------------

# (text, label, reasons)
SENTIMENT_ITEMS = [
    ("The battery died after two days and customer support never replied.", "negative",
     ["It reports a product failure (\"died after two days\").", "It complains that support never responded."]),
    ("Honestly the best pizza I've had in years, and the staff were lovely.", "positive",
     ["\"The best pizza I've had in years\" is strong praise.", "The staff are described as \"lovely\"."]),
    ("The package arrived on Tuesday.", "neutral",
     ["It only states when something happened.", "There are no opinion words or emotional language."]),
    ("I was nervous about the class, but the instructor made it fun and easy to follow.", "positive",
     ["The nervousness is in the past and is outweighed by what follows.", "\"Fun and easy to follow\" is clear praise for the instructor."]),
    ("The hotel room was smaller than the photos suggested and smelled of smoke.", "negative",
     ["It says the room didn't match the photos.", "The smell of smoke is a clear complaint."]),
    ("The meeting has been moved to the conference room on the second floor.", "neutral",
     ["It is a logistical update.", "No feelings or judgments are expressed."]),
    ("Setup took five minutes and it has worked perfectly ever since.", "positive",
     ["Quick setup is presented as a plus.", "\"Worked perfectly ever since\" shows satisfaction."]),
    ("I've asked for a refund three times and I'm still waiting.", "negative",
     ["Asking three times signals frustration.", "\"Still waiting\" shows the problem is unresolved."]),
    ("The film runs for two hours and ten minutes.", "neutral",
     ["It gives a running time.", "It doesn't say whether the film is good or bad."]),
    ("What a waste of an afternoon; the plot made no sense.", "negative",
     ["\"A waste of an afternoon\" is a strong negative judgment.", "It criticizes the plot."]),
    ("These headphones are comfortable enough to wear all day.", "positive",
     ["Comfort is a key quality for headphones.", "\"All day\" emphasizes how comfortable they are."]),
    ("The store opens at 9 a.m. on weekends.", "neutral",
     ["It just states opening hours.", "No opinion is given."]),
    ("The app keeps crashing whenever I try to upload a photo.", "negative",
     ["It describes a repeated failure (\"keeps crashing\").", "The problem blocks a basic task."]),
    ("Our new neighbors brought over cookies to say hello, which was so kind.", "positive",
     ["It describes a friendly gesture.", "\"So kind\" directly expresses appreciation."]),
    ("The train was delayed again, so I missed the start of my interview.", "negative",
     ["\"Again\" suggests a recurring problem.", "Missing an interview is a bad outcome for the writer."]),
    ("The jacket comes in three colors: black, navy and olive.", "neutral",
     ["It lists product options.", "It doesn't praise or criticize anything."]),
    ("I can't recommend this little café enough; the coffee is perfect.", "positive",
     ["\"Can't recommend ... enough\" is an enthusiastic endorsement.", "The coffee is called \"perfect\"."]),
    ("The instructions were confusing and two screws were missing.", "negative",
     ["Confusing instructions are a complaint.", "Missing parts are another problem."]),
    ("The library will be closed on Monday for a public holiday.", "neutral",
     ["It is an informational notice.", "It contains no opinion."]),
    ("My tomato plants finally produced fruit, and they taste amazing!", "positive",
     ["\"Finally\" suggests a long-awaited success.", "\"Taste amazing\" and the exclamation mark show delight."]),
    ("The soup was lukewarm and far too salty.", "negative",
     ["Lukewarm soup is a complaint.", "\"Far too salty\" is another clear criticism."]),
    ("Version 2.3.1 of the app was released this morning.", "neutral",
     ["It reports a release, nothing more.", "There is no judgment of the update."]),
    ("Great value for the price, and it shipped a day early.", "positive",
     ["\"Great value\" is praise.", "Early shipping is presented as a bonus."]),
    ("I waited forty minutes for a table and nobody apologized.", "negative",
     ["A long wait is a complaint.", "The lack of an apology adds to the frustration."]),
    ("The survey takes about ten minutes to complete.", "neutral",
     ["It gives a time estimate.", "It expresses no feelings."]),
    ("The concert was unforgettable; the band played every song I hoped for.", "positive",
     ["\"Unforgettable\" is strongly positive here.", "The band met every expectation."]),
]

SENTIMENT_Q = ["Classify the sentiment of this review as positive, negative, or neutral: \"{x}\"",
               "Is the following sentence positive, negative, or neutral? {x}",
               "What's the sentiment of this comment (positive, negative or neutral)? \"{x}\"",
               "Label this customer feedback as positive, negative or neutral: {x}"]

TOPIC_LABELS = ["sports", "technology", "health", "business", "science", "entertainment"]
TOPIC_ITEMS = [
    ("Local team wins championship after dramatic penalty shootout", "sports",
     "A championship and a penalty shootout are clearly about a sports competition."),
    ("New smartphone chip promises longer battery life", "technology",
     "It is about computer chips and phone hardware."),
    ("Study finds regular walking lowers risk of heart disease", "health",
     "It reports a link between exercise and heart disease risk."),
    ("Coffee chain reports 12% rise in quarterly profits", "business",
     "Quarterly profits are company financial results."),
    ("Astronomers spot a comet that will be visible next month", "science",
     "It is about an astronomical discovery."),
    ("Award-winning director announces new animated film", "entertainment",
     "A director announcing a film is movie industry news."),
    ("Marathon record broken by nearly a minute", "sports",
     "A marathon record is an athletic achievement."),
    ("Software update v4.2.0 fixes login bug for millions of users", "technology",
     "It is about a software release and a bug fix."),
    ("Doctors recommend more fiber in children's diets", "health",
     "It is medical advice about nutrition."),
    ("Startup raises funding to expand electric scooter rentals", "business",
     "Fundraising and expansion are business topics, even though scooters involve technology."),
    ("Researchers map the genome of a rare deep-sea fish", "science",
     "Genome mapping is biological research."),
    ("Pop star's world tour adds twelve new dates", "entertainment",
     "A music tour is entertainment news."),
    ("Tennis star returns from injury with straight-sets win", "sports",
     "A straight-sets win is a tennis result."),
]
TOPIC_Q = ["Which topic does this headline belong to: {labels}? \"{x}\"",
           "Categorize this headline as one of {labels}: {x}",
           "Headline: \"{x}\". Pick the best category from: {labels}."]

SPAM_ITEMS = [
    ("Congratulations! You've won a free cruise. Click the link within 24 hours to claim your prize!", "spam",
     ["It claims you won a prize you never entered for.", "It pressures you with a deadline and asks you to click a link."]),
    ("Hi Sam, are we still on for lunch on Thursday at 12:30?", "not spam",
     ["It is a personal message addressed by name.", "It refers to a specific, ordinary plan."]),
    ("URGENT: your account will be suspended unless you confirm your password today.", "spam",
     ["It creates false urgency.", "Legitimate services don't ask you to confirm your password like this; it's a typical phishing attempt."]),
    ("Your library book is due back on 2024-05-02. You can renew it from your library account.", "not spam",
     ["It is a routine reminder about something you borrowed.", "It doesn't ask for money or personal details."]),
    ("Earn $5,000 a week from home with no experience needed! Reply YES to start.", "spam",
     ["It promises unrealistic earnings.", "It asks for a quick reply with no details about who is sending it."]),
    ("Reminder: the team retro has moved to 3 p.m. tomorrow.", "not spam",
     ["It is a normal workplace reminder.", "It contains no offers, links or requests for information."]),
]
SPAM_Q = ["Is this message spam or not spam? \"{x}\"",
          "Classify this text message as spam or not spam: {x}"]

SENT_CLOSE = {"positive": "Overall, the writer is clearly pleased.",
              "negative": "Overall, the tone is clearly dissatisfied.",
              "neutral": "It simply states a fact without expressing any feeling, so it's neutral."}


def gen_classification(count):
    out = []
    for x, lab, reasons in SENTIMENT_ITEMS:
        q = rng.choice(SENTIMENT_Q).format(x=x)
        claim(q)
        human = rng.choice([lab.capitalize() + ".", lab.capitalize() + ".", f"{lab.capitalize()} — {reasons[0][0].lower() + reasons[0][1:]}"])
        synth = (opener() + f"The sentiment is **{lab}**.\n\n**Why:**\n" + bullets(reasons)
                 + "\n\n" + SENT_CLOSE[lab] + closer())
        out.append(item("classification", q, human, synth, None))
    for x, lab, why in TOPIC_ITEMS:
        labels = TOPIC_LABELS[:]
        rng.shuffle(labels)
        labels = labels[:5] if lab in labels[:5] else labels[:4] + [lab]
        rng.shuffle(labels)
        q = rng.choice(TOPIC_Q).format(x=x, labels=", ".join(labels[:-1]) + " or " + labels[-1])
        claim(q)
        human = rng.choice([lab.capitalize() + ".", lab.capitalize() + "."])
        synth = opener() + f"This headline belongs in **{lab}**.\n\n{why}" + closer()
        out.append(item("classification", q, human, synth, None))
    for x, lab, reasons in SPAM_ITEMS:
        q = rng.choice(SPAM_Q).format(x=x)
        claim(q)
        human = rng.choice([lab.capitalize() + ".", f"{lab.capitalize()}. {reasons[0]}"])
        synth = (opener() + f"This message is **{lab}**.\n\nHere's why:\n" + bullets(reasons)
                 + ("\n\nIt's best not to click any links or reply to messages like this." if lab == "spam" else "") + closer())
        out.append(item("classification", q, human, synth, None))
    return out[:count]


# --------------------------------------------------------------------------
# 9. Rewriting (tone, voice, grammar, concision, simplification)
# --------------------------------------------------------------------------

REWRITE_Q = {
    "formal": ["Rewrite this to sound more formal: {x}", "Make this message more professional: \"{x}\"",
               "Can you rephrase this in a formal tone? \"{x}\""],
    "informal": ["Make this sound more casual: \"{x}\"", "Rewrite this in a friendly, informal tone: {x}"],
    "active": ["Rewrite this sentence in the active voice: {x}", "Change this from passive to active voice: \"{x}\""],
    "grammar": ["Fix the grammar in this sentence: {x}", "Correct any mistakes in this: \"{x}\"",
                "Can you proofread this sentence? {x}"],
    "concise": ["Make this more concise: \"{x}\"", "Shorten this sentence without losing the meaning: {x}"],
    "simple": ["Rewrite this so a ten-year-old could understand it: \"{x}\"", "Simplify this sentence: {x}"],
    "polite": ["Make this request more polite: \"{x}\"", "How can I say this more politely? {x}"],
    "positive": ["Rephrase this in a more positive way: \"{x}\"", "Can you reword this so it sounds more positive? {x}"],
}
REWRITE_LEAD = {
    "formal": "Here's a more formal version:", "informal": "Here's a more casual version:",
    "active": "Here's the sentence in the active voice:", "grammar": "Here's the corrected sentence:",
    "concise": "Here's a more concise version:", "simple": "Here's a simpler way to say it:",
    "polite": "Here's a more polite way to put it:", "positive": "Here's a more positive way to say it:",
}

# (kind, source, rewrite, what changed, optional follow-up (question, answer))
REWRITES = [
    ("formal", "hey, can't make it to the meeting tmrw, something came up",
     "Hello, unfortunately I will not be able to attend tomorrow's meeting, as something unexpected has come up.",
     ["Replaced the casual \"hey\" with \"Hello\".", "Spelled out \"tmrw\" and the contraction \"can't\".", "Turned the fragments into one complete, punctuated sentence."],
     ("Nice. Now make it friendly but still professional, since it's going to my team.",
      "Hi everyone, unfortunately I won't be able to make tomorrow's meeting because something unexpected came up. Sorry to miss it!")),
    ("formal", "thanks a ton for the help, you're a lifesaver",
     "Thank you very much for your help. I truly appreciate it.",
     ["Replaced the slang \"a ton\" with \"very much\".", "Swapped \"you're a lifesaver\" for a more measured expression of thanks."], None),
    ("formal", "the report's gonna be late, sorry",
     "I apologize, but the report will be submitted later than planned.",
     ["Replaced \"gonna\" with \"will\".", "Moved the apology to the start and made it more formal."], None),
    ("formal", "can u send me the file asap",
     "Could you please send me the file at your earliest convenience?",
     ["Spelled out \"u\".", "Replaced \"asap\" with a courteous phrase and added \"please\"."], None),
    ("formal", "we messed up your order, our bad",
     "We made an error with your order, and we sincerely apologize.",
     ["Replaced \"messed up\" with \"made an error\".", "Replaced \"our bad\" with a proper apology."], None),
    ("formal", "just checking if you saw my last email",
     "I am following up to ask whether you have had a chance to review my previous email.",
     ["Replaced \"just checking\" with \"I am following up\".", "Used \"previous\" instead of \"last\" and completed the sentence."], None),
    ("formal", "the new software is kinda buggy right now",
     "The new software currently contains a number of defects.",
     ["Removed the filler word \"kinda\".", "Replaced \"buggy\" with the more formal \"contains a number of defects\"."], None),
    ("informal", "We regret to inform you that the event has been postponed.",
     "Sorry, but the event's been pushed back.",
     ["Replaced the stiff \"we regret to inform you\" with a simple \"Sorry\".", "Used the everyday phrase \"pushed back\" instead of \"postponed\"."],
     ("Even shorter, like a quick text message?", "Event's pushed back, sorry!")),
    ("informal", "Please be advised that the office will be closed on Friday.",
     "Heads up: the office is closed on Friday.",
     ["Swapped \"please be advised\" for \"heads up\".", "Shortened \"will be closed\" to \"is closed\"."], None),
    ("informal", "I would be delighted to attend your birthday celebration.",
     "I'd love to come to your birthday party!",
     ["Used the contraction \"I'd\".", "Replaced \"delighted to attend\" and \"celebration\" with everyday words."], None),
    ("informal", "Kindly ensure that all dishes are washed prior to departure.",
     "Please wash your dishes before you head out.",
     ["Replaced \"kindly ensure\" with a direct \"please\".", "Changed \"prior to departure\" to \"before you head out\"."], None),
    ("informal", "We appreciate your patience while we resolve this issue.",
     "Thanks for hanging in there while we sort this out.",
     ["Replaced \"we appreciate your patience\" with \"thanks for hanging in there\".", "Changed \"resolve this issue\" to \"sort this out\"."], None),
    ("active", "The cake was eaten by the children.", "The children ate the cake.",
     ["Made \"the children\" (who did the action) the subject.", "Changed \"was eaten\" to \"ate\"."],
     ("Now put it in the present tense.", "The children eat the cake.")),
    ("active", "The new bridge was designed by a team of young engineers.", "A team of young engineers designed the new bridge.",
     ["Moved \"a team of young engineers\" to the subject position.", "Changed \"was designed\" to \"designed\"."], None),
    ("active", "The window was broken by a stray baseball.", "A stray baseball broke the window.",
     ["Made \"a stray baseball\" the subject.", "Changed \"was broken\" to \"broke\"."], None),
    ("active", "The report will be reviewed by the committee next week.", "The committee will review the report next week.",
     ["Made \"the committee\" the subject.", "Changed \"will be reviewed\" to \"will review\"."], None),
    ("active", "Mistakes were made by the accounting department.", "The accounting department made mistakes.",
     ["Named who made the mistakes at the start of the sentence.", "Changed \"were made\" to \"made\"."], None),
    ("active", "The song was performed by a choir of fifty voices.", "A choir of fifty voices performed the song.",
     ["Made \"a choir of fifty voices\" the subject.", "Changed \"was performed\" to \"performed\"."], None),
    ("active", "The letters are delivered by the mail carrier every morning.", "The mail carrier delivers the letters every morning.",
     ["Made \"the mail carrier\" the subject.", "Changed \"are delivered\" to \"delivers\"."], None),
    ("active", "Order #48213 was shipped by our warehouse on 2024-03-15.", "Our warehouse shipped order #48213 on 2024-03-15.",
     ["Made \"our warehouse\" the subject.", "Changed \"was shipped\" to \"shipped\"; the order number and date stay the same."], None),
    ("grammar", "Me and him goes to the gym every mornings.", "He and I go to the gym every morning.",
     ["\"Me and him\" is the subject, so it should be \"He and I\".", "The plural subject takes \"go\", not \"goes\".", "\"Every\" is followed by a singular noun: \"every morning\"."], None),
    ("grammar", "Their going to the park after they finish they're homework.", "They're going to the park after they finish their homework.",
     ["\"Their\" should be \"They're\" (they are).", "\"they're homework\" should be \"their homework\" (possessive)."], None),
    ("grammar", "She don't like coffee, she prefer tea.", "She doesn't like coffee; she prefers tea.",
     ["\"She don't\" should be \"She doesn't\".", "\"She prefer\" should be \"She prefers\".", "A semicolon joins the two complete clauses instead of a comma."], None),
    ("grammar", "Its a nice day, lets go for a walk.", "It's a nice day, so let's go for a walk.",
     ["\"Its\" should be \"It's\" (it is).", "\"lets\" should be \"let's\" (let us).", "Added \"so\" to fix the comma splice."], None),
    ("grammar", "I have went to that restaurant twice.", "I have gone to that restaurant twice.",
     ["After \"have\", use the past participle \"gone\", not \"went\"."], None),
    ("grammar", "The dog wagged it's tail when it's owner came home.", "The dog wagged its tail when its owner came home.",
     ["\"It's\" means \"it is\"; the possessive form is \"its\" (both times)."], None),
    ("grammar", "If I would have known, I would of called you.", "If I had known, I would have called you.",
     ["In the \"if\" clause, use \"had known\", not \"would have known\".", "\"Would of\" should be \"would have\"."], None),
    ("grammar", "There is less people at the beach then yesterday.", "There are fewer people at the beach than yesterday.",
     ["\"People\" is plural, so use \"are\" and \"fewer\".", "Use \"than\" for comparisons, not \"then\"."], None),
    ("concise", "At this point in time, we are not in a position to make a decision.", "We cannot make a decision yet.",
     ["\"At this point in time\" becomes \"yet\".", "\"Not in a position to\" becomes \"cannot\"."],
     ("Now make it sound a little softer.", "We're not quite ready to make a decision yet.")),
    ("concise", "In order to be able to register, you will need to fill out the form that is attached.", "To register, fill out the attached form.",
     ["\"In order to be able to\" becomes \"To\".", "\"The form that is attached\" becomes \"the attached form\"."], None),
    ("concise", "Due to the fact that it was raining, the game was postponed until a later date.", "The game was postponed because of rain.",
     ["\"Due to the fact that it was raining\" becomes \"because of rain\".", "\"Until a later date\" is implied by \"postponed\", so it was removed."], None),
    ("concise", "I am writing this email to let you know that the meeting has been cancelled.", "The meeting has been cancelled.",
     ["Removed the opening that just announces the email; the reader can see it's an email."], None),
    ("concise", "Each and every one of the employees received a bonus that was very generous.", "Every employee received a generous bonus.",
     ["\"Each and every one of the employees\" becomes \"Every employee\".", "\"A bonus that was very generous\" becomes \"a generous bonus\"."], None),
    ("simple", "Photosynthesis enables autotrophic organisms to synthesize carbohydrates utilizing solar radiation.", "Plants use sunlight to make their own food.",
     ["\"Autotrophic organisms\" becomes \"plants\" (the most familiar example).", "\"Synthesize carbohydrates utilizing solar radiation\" becomes \"use sunlight to make their own food\"."], None),
    ("simple", "The municipality will implement new regulations pertaining to waste disposal.", "The city is making new rules about throwing away trash.",
     ["\"Municipality\" becomes \"city\".", "\"Implement new regulations pertaining to waste disposal\" becomes \"making new rules about throwing away trash\"."], None),
    ("simple", "Precipitation is anticipated throughout the afternoon.", "It's going to rain all afternoon.",
     ["\"Precipitation\" becomes \"rain\".", "\"Is anticipated throughout\" becomes \"is going to ... all\"."], None),
    ("simple", "The physician advised the patient to refrain from consuming sugary beverages.", "The doctor told the patient to stop having sugary drinks.",
     ["\"Physician\" becomes \"doctor\" and \"advised\" becomes \"told\".", "\"Refrain from consuming sugary beverages\" becomes \"stop having sugary drinks\"."], None),
    ("polite", "Give me the report by five.", "Could you please send me the report by five o'clock? Thank you!",
     ["Turned the command into a question.", "Added \"please\" and a thank-you."],
     ("Make it less formal; it's for a coworker I know well.", "Hey, could you send me the report by five? Thanks!")),
    ("polite", "Move your car, it's blocking my driveway.", "Excuse me, would you mind moving your car? It's blocking my driveway.",
     ["Opened with \"Excuse me\".", "Turned the order into a request with \"would you mind\"."], None),
    ("polite", "Stop talking during the movie.", "Would you mind keeping your voice down during the movie, please?",
     ["Turned the command into a question.", "Asked for quieter talking rather than demanding silence, and added \"please\"."], None),
    ("positive", "You can't leave until you finish your chores.", "You can go out as soon as you finish your chores.",
     ["Focused on what the person *can* do instead of what they can't."], None),
    ("positive", "We don't accept returns after 30 days.", "We're happy to accept returns within 30 days of purchase.",
     ["Stated the same policy in terms of what is allowed.", "Added \"happy to\" for a welcoming tone."], None),
    ("positive", "Don't forget to submit your timesheet.", "Please remember to submit your timesheet.",
     ["Replaced the negative \"don't forget\" with \"please remember\"."], None),
]


def gen_rewriting(count):
    out = []
    for kind, src, tgt, changes, fol in REWRITES:
        while True:
            q = rng.choice(REWRITE_Q[kind]).format(x=src)
            if claim(q):
                break
        human = tgt
        synth = (opener() + REWRITE_LEAD[kind] + "\n\n> " + tgt + "\n\n**What changed:**\n" + bullets(changes)
                 + closer())
        follow = None
        if fol:
            claim(fol[0])
            follow = (fol[0], fol[1], rng.choice(["Sure! ", "Of course! ", "Absolutely! ", ""]) + "Here you go:\n\n> " + fol[1] + closer())
        out.append(item("rewriting", q, human, synth, follow))
    return out[:count]


# --------------------------------------------------------------------------
# 10. Summarization of short paragraphs written for this project
# --------------------------------------------------------------------------

# (paragraph, one-sentence summary, key points). Names of people, products,
# streets and organizations in these passages are invented.
PASSAGES = [
    ("The Maple Street community garden had its best season yet. Volunteers built six new raised beds in April, and a local hardware store donated a rain barrel system that noticeably cut water use. By August, the garden was supplying fresh vegetables to the neighborhood food pantry twice a week. Organizers say the biggest challenge now is finding enough volunteers for weekday mornings, and they are asking anyone with an hour to spare to sign up at the next monthly meeting.",
     "The Maple Street community garden grew this season and now supplies the local food pantry, but it needs more volunteers for weekday mornings.",
     ["Six new raised beds were built, and a donated rain barrel system cut water use.",
      "Since August the garden has sent vegetables to the food pantry twice a week.",
      "Organizers are asking for weekday-morning volunteers."]),
    ("Version 3.2.0 of the Tidewater note-taking app, released on 2024-03-15, focuses on speed and stability. Notes with many images now open up to twice as fast, and a long-standing bug that sometimes duplicated tags during sync has been fixed. The update also adds a dark mode that follows your system setting. Users still on version 2.x will need to update to at least 2.9.4 before installing the new release, because the database format has changed.",
     "Tidewater 3.2.0 speeds up image-heavy notes, fixes a tag-duplication sync bug and adds automatic dark mode, but users on 2.x must first update to 2.9.4.",
     ["Image-heavy notes open up to twice as fast.",
      "A sync bug that duplicated tags is fixed, and dark mode now follows the system setting.",
      "Because the database format changed, 2.x users need version 2.9.4 or later before upgrading."]),
    ("Honeybees share the location of food using a movement known as the waggle dance. A forager returning to the hive walks in a figure-eight pattern, waggling its body during the straight middle run. The angle of that run relative to vertical tells other bees the direction of the food relative to the sun, and the length of the waggle indicates how far away it is. Other workers follow the dancer closely, then fly out to find the flowers themselves.",
     "Honeybees use the waggle dance, whose angle and length encode direction and distance, to tell hive mates where to find food.",
     ["The dance follows a figure-eight pattern with a waggling straight run.",
      "The angle of the run shows the direction of the food relative to the sun.",
      "The length of the waggle shows the distance."]),
    ("In Tuesday's planning meeting, the design team agreed to push the website launch from May 6 to May 20 to allow more time for accessibility testing. Priya will coordinate with the external testers, and Marcus will update the marketing calendar. The team also decided to drop the animated homepage banner, since it slowed page loads on older phones. The next check-in is scheduled for Friday at 10 a.m.",
     "The design team moved the website launch to May 20 for more accessibility testing and dropped the slow animated banner, with a check-in set for Friday at 10 a.m.",
     ["Launch moved from May 6 to May 20 for accessibility testing.",
      "Priya handles the external testers; Marcus updates the marketing calendar.",
      "The animated homepage banner was dropped because it slowed older phones."]),
    ("Around 1440, Johannes Gutenberg developed a printing press that used movable metal type. Before this, books in Europe were mostly copied by hand, which made them slow to produce and expensive. Gutenberg's system allowed pages to be printed quickly and consistently, and printing spread to many European cities within a few decades. Cheaper books helped spread literacy, new ideas and scientific knowledge far more widely than before.",
     "Gutenberg's movable-type printing press, developed around 1440, made books faster and cheaper to produce, spreading literacy and ideas across Europe.",
     ["Before the press, books were copied by hand and were expensive.",
      "Movable metal type made printing fast and consistent.",
      "Printing spread quickly and helped spread literacy and knowledge."]),
    ("I've used the Brightmix 500 blender every morning for three months. It handles frozen fruit and ice without any trouble, and the jar is easy to clean. My main complaint is the noise: it's loud enough that I can't use it while anyone else in the apartment is asleep. At $89.99 it's cheaper than most blenders with similar power, so overall I'd still recommend it, especially if you don't share your space with light sleepers.",
     "The reviewer recommends the $89.99 Brightmix 500 for its power, easy cleaning and price, with the caveat that it is very loud.",
     ["It blends frozen fruit and ice easily, and the jar is easy to clean.",
      "It is loud enough to wake people up.",
      "At $89.99 it is good value for its power."]),
    ("Adults who regularly get less than seven hours of sleep a night are more likely to report problems with concentration and mood. Sleep also plays a role in memory: during deep sleep, the brain appears to consolidate what was learned during the day. Experts suggest keeping a consistent bedtime, limiting caffeine in the afternoon and keeping screens out of the bedroom. Even small changes, such as going to bed twenty minutes earlier, can make a noticeable difference over a few weeks.",
     "Too little sleep hurts concentration, mood and memory, and simple habits like a consistent bedtime and less afternoon caffeine can help.",
     ["Regularly sleeping under seven hours is linked to poorer concentration and mood.",
      "Deep sleep helps the brain consolidate memories.",
      "Consistent bedtimes, less afternoon caffeine and no screens in the bedroom are recommended."]),
    ("The Riverside Public Library will reopen on June 3 after an eight-month renovation. The project added a larger children's area, twelve new study rooms that can be booked online, and solar panels expected to cover about a third of the building's electricity use. During the first week, the library will host free workshops on topics ranging from résumé writing to beginner coding. Borrowing limits have also been raised from 20 to 30 items per card.",
     "The renovated Riverside Public Library reopens June 3 with a bigger children's area, bookable study rooms, solar panels, free workshops and higher borrowing limits.",
     ["Reopening June 3 after eight months of work.",
      "New features: larger children's area, twelve bookable study rooms and solar panels.",
      "Free workshops in the first week, and the borrowing limit rises to 30 items."]),
    ("Lena had promised herself she would finally finish the marathon this year. At mile twenty, her legs felt like stone and she started to walk. A stranger running beside her, an older man in a faded yellow shirt, slowed down and said they could do the last six miles together. They talked about their families, their jobs and the races they had failed to finish. When Lena crossed the line, she turned to thank him, but he had already disappeared into the crowd.",
     "A struggling marathon runner finishes the race thanks to a stranger who runs the last six miles with her, then vanishes before she can thank him.",
     ["Lena hits a wall at mile twenty and starts walking.",
      "An older stranger offers to run the last six miles with her.",
      "She finishes, but he is gone before she can thank him."]),
    ("Starting next month, Northfield Outfitters will offer free repairs on any backpack it has sold in the past ten years. Customers can bring damaged bags to any of the company's 14 stores or mail them in using a prepaid label. The company says the program is part of an effort to keep products out of landfills, and it expects to repair around 5,000 bags in the first year. Bags that can't be repaired will be exchanged for store credit.",
     "Northfield Outfitters will repair any backpack it sold in the last ten years for free, to reduce landfill waste, offering store credit when a bag can't be fixed.",
     ["Free repairs cover backpacks sold in the past ten years.",
      "Bags can be dropped at 14 stores or mailed with a prepaid label.",
      "The company expects about 5,000 repairs in year one; unrepairable bags get store credit."]),
    ("Water on Earth moves in a continuous cycle. The Sun heats oceans, lakes and rivers, causing water to evaporate into the air as vapor. As the vapor rises and cools, it condenses into tiny droplets that form clouds. When the droplets combine and become heavy enough, they fall as rain, snow or hail. That water then collects in rivers, lakes, oceans and underground, and the cycle begins again.",
     "In the water cycle, water evaporates, condenses into clouds, falls as precipitation and collects again before repeating the process.",
     ["The Sun's heat evaporates surface water.",
      "Rising vapor cools and condenses into clouds.",
      "Precipitation returns water to rivers, lakes, oceans and the ground."]),
    ("A recent survey of 1,200 office workers by the Harlow Institute found that 64% would prefer to work from home at least two days a week. Respondents most often cited saving time on commuting and having fewer interruptions. However, 41% said they felt less connected to their colleagues when working remotely, and younger employees were the most likely to say they missed learning from experienced coworkers in person.",
     "Most surveyed office workers want at least two remote days a week, though many feel less connected to colleagues, especially younger staff.",
     ["64% of 1,200 workers want to work from home at least two days a week.",
      "Less commuting and fewer interruptions are the main reasons.",
      "41% feel less connected, and younger workers miss learning in person."]),
    ("These lemon oat bars are my go-to when I need a dessert in under an hour. The base is just oats, flour, butter and a little brown sugar pressed into a pan, and the topping is a quick lemon curd made with eggs, sugar and fresh lemon juice. They keep well in the fridge for up to four days, and they travel well, which makes them perfect for picnics. If you prefer something less sweet, cut the sugar in the topping by a quarter.",
     "These quick lemon oat bars have a simple oat base and lemon curd topping, keep for four days and travel well.",
     ["Ready in under an hour.",
      "Oat, flour, butter and brown sugar base with a lemon curd topping.",
      "They keep four days in the fridge; reduce the topping sugar by a quarter for less sweetness."]),
    ("Octopuses are known for their intelligence. They can solve puzzles, open jars and escape from tanks, and some have been seen carrying coconut shells to use as shelters. An octopus has three hearts and blue blood, and most of its neurons are located in its arms rather than its central brain. Because octopuses are mostly solitary and short-lived, scientists are especially curious about how they developed such complex behavior.",
     "Octopuses are highly intelligent, unusual animals, and scientists want to know how such short-lived, solitary creatures became so clever.",
     ["They solve puzzles, open jars, escape tanks and even use coconut shells as shelters.",
      "They have three hearts, blue blood and most of their neurons in their arms.",
      "Their intelligence is puzzling because they live short, mostly solitary lives."]),
    ("Beginning September 1, the Route 7 bus will run every 10 minutes during rush hour instead of every 15. The city's transit agency says ridership on the route has grown by 18% over the past year, and buses were often too crowded to pick up passengers at busy stops. The change will be paid for by reducing service on Route 12, which has seen declining use. Riders can check the updated timetable on the agency's website.",
     "From September 1, Route 7 buses will come every 10 minutes at rush hour to handle an 18% rise in riders, funded by cutting service on the less-used Route 12.",
     ["Rush-hour frequency on Route 7 goes from every 15 to every 10 minutes.",
      "Ridership grew 18% and buses were overcrowded.",
      "Service on Route 12 will be reduced to pay for it."]),
    ("An emergency fund is money set aside for unexpected expenses, such as a car repair or a sudden job loss. Many financial planners suggest saving enough to cover three to six months of essential expenses. The money should be easy to reach, so a separate savings account is usually better than investments that can lose value. If that target feels out of reach, starting with a smaller goal, like one month of rent, still provides a useful cushion.",
     "An emergency fund, ideally three to six months of essential expenses kept in an accessible savings account, protects you from unexpected costs, and even a smaller fund helps.",
     ["It covers surprises like car repairs or job loss.",
      "A common target is three to six months of essential expenses.",
      "Keep it in an easy-to-reach savings account; start smaller if needed."]),
    ("The city museum's new exhibit, \"Threads\", traces 300 years of clothing made in the region, from hand-woven wool coats to factory-made cotton dresses. Visitors can try a working loom and see how dyes were made from plants such as madder and indigo. The exhibit runs until January 12 and is free for children under 12. Curators spent two years collecting the pieces, many of them donated by local families.",
     "The museum's \"Threads\" exhibit covers 300 years of local clothing with a working loom and plant-dye displays, running until January 12 and free for under-12s.",
     ["It spans 300 years of regional clothing.",
      "Visitors can use a loom and learn about plant dyes like madder and indigo.",
      "Open until January 12; free for children under 12; many items were donated by local families."]),
    ("Volcanoes form where molten rock, called magma, rises from deep within the Earth. Many are found along the edges of tectonic plates, such as the ring of volcanoes around the Pacific Ocean. When pressure builds up, magma can erupt onto the surface as lava, along with ash and gases. Although eruptions can be destructive, volcanic soil is often very fertile, which is one reason people have long farmed near volcanoes.",
     "Volcanoes form where magma rises to the surface, often at plate edges, and although eruptions are dangerous, the fertile soil draws farmers.",
     ["Volcanoes form where magma rises from deep underground.",
      "Many sit along tectonic plate boundaries, like those around the Pacific.",
      "Eruptions are destructive, but volcanic soil is very fertile."]),
    ("I ordered a standing desk (order number 58-3310) on March 2 and was told it would arrive within a week. It's now March 20, the tracking page hasn't updated in ten days, and my two messages to support have gone unanswered. I'd like to know whether the desk has actually shipped. If it can't be delivered by the end of the month, please cancel the order and refund the $349 I paid.",
     "The customer's standing desk (order 58-3310) is more than a week overdue with no tracking updates or replies, and they want it delivered by month's end or a $349 refund.",
     ["The desk was ordered March 2 with one-week delivery promised.",
      "Tracking hasn't updated in ten days and support hasn't replied.",
      "The customer wants delivery by the end of the month or a full $349 refund."]),
    ("Research on learning suggests that spacing out study sessions works better than cramming. Reviewing material a little each day helps people remember it longer than studying the same total amount in one long session. Testing yourself, for example with flashcards or practice questions, is also more effective than simply rereading notes. Combining the two, with short daily self-quizzes in the weeks before an exam, is one of the most reliable strategies students can use.",
     "Spacing out study sessions and testing yourself work better than cramming and rereading, especially when combined.",
     ["Short daily reviews beat one long cramming session.",
      "Self-testing is more effective than rereading notes.",
      "Daily self-quizzes in the weeks before an exam combine both benefits."]),
    ("After months of debate, the city council voted 7 to 2 on Thursday to build protected bike lanes along Harbor Avenue. Supporters argued the lanes would make the busy street safer for cyclists and pedestrians, while opponents worried about losing about 40 parking spaces. Construction is expected to begin in the spring and take about four months. The council also asked transportation staff to report back on traffic changes a year after the lanes open.",
     "The city council voted 7–2 to build protected bike lanes on Harbor Avenue despite concerns about lost parking, with construction starting in spring.",
     ["The vote passed 7 to 2 after months of debate.",
      "Supporters cited safety; opponents objected to losing about 40 parking spaces.",
      "Construction starts in spring, and staff will report on traffic a year after opening."]),
    ("Coffee is thought to have first been brewed as a drink in Yemen in the 15th century, where Sufi monks used it to stay awake during night prayers. From there it spread through the Middle East, and by the 17th century coffeehouses had opened in cities across Europe. These coffeehouses became popular places to exchange news and discuss business and politics. Today, coffee is one of the most widely traded agricultural products in the world.",
     "Coffee drinking began in 15th-century Yemen, spread through the Middle East to Europe's coffeehouses by the 1600s, and is now a major global commodity.",
     ["Sufi monks in Yemen used coffee to stay awake for night prayers.",
      "By the 17th century, coffeehouses were common in European cities and became hubs for news and debate.",
      "Coffee is now one of the most traded agricultural products."]),
    ("On Saturday between 2:10 p.m. and 4:45 p.m., some users of our mobile app were unable to log in. The problem was caused by an expired security certificate on one of our servers. No account data was lost or exposed. We have renewed the certificate and added automatic alerts for certificates that are close to expiring, and we apologize for the inconvenience.",
     "An expired security certificate blocked some app logins on Saturday afternoon; no data was affected, and the company has renewed it and added expiry alerts.",
     ["Logins failed for some users from 2:10 p.m. to 4:45 p.m. on Saturday.",
      "The cause was an expired server certificate; no data was lost or exposed.",
      "The certificate was renewed and automatic expiry alerts were added."]),
    ("Tropical rainforests cover only a small share of Earth's land but are home to roughly half of the world's plant and animal species. They receive heavy rain throughout the year and stay warm in every season. The dense canopy of tall trees blocks much of the sunlight, so many plants on the forest floor are adapted to low light. Rainforests also store huge amounts of carbon, which is one reason deforestation is a major concern for the climate.",
     "Tropical rainforests are small in area but hold about half of Earth's species and store vast amounts of carbon, making deforestation a climate concern.",
     ["They hold roughly half of all plant and animal species.",
      "They are warm and rainy year-round, with a canopy that shades the forest floor.",
      "They store large amounts of carbon, so deforestation affects the climate."]),
    ("This month our book club read The Salt Road, a novel about two sisters who run a small shipping business on the coast in the 1920s. Most members enjoyed the vivid descriptions of the harbor town, though several felt the middle section dragged. The discussion got lively when we debated whether the younger sister's final decision was brave or selfish. Next month we're reading a short story collection; library copies are on hold at the front desk under ISBN 1-84356-028-3.",
     "The book club mostly enjoyed The Salt Road despite a slow middle, debated the younger sister's ending, and will read a short story collection next month.",
     ["The Salt Road follows two sisters running a 1920s coastal shipping business.",
      "Members liked the setting but found the middle slow.",
      "The ending sparked debate; next month's book is on hold at the library."]),
    ("Regular physical activity has benefits well beyond weight control. It strengthens the heart and lungs, helps control blood pressure, and improves mood by reducing stress and anxiety. Many health guidelines recommend that adults aim for at least 150 minutes of moderate activity, such as brisk walking, each week, plus muscle-strengthening exercises on two or more days. Breaking activity into shorter sessions, like three ten-minute walks a day, still counts.",
     "Regular exercise benefits the heart, blood pressure and mood, and guidelines suggest 150 minutes of moderate activity a week plus strength training, even in short sessions.",
     ["Exercise strengthens the heart and lungs and helps control blood pressure.",
      "It also reduces stress and anxiety.",
      "Aim for 150 minutes of moderate activity weekly plus two days of strength work; short sessions count."]),
    ("After twelve years on Elm Road, Sunny Days Daycare is moving to a larger building on Carver Street in August. The new space has four classrooms instead of two, a fenced garden and a small indoor gym for rainy days. Current families will keep their spots, and the daycare will be able to accept about 20 more children. Parents are invited to an open house on July 27 from 10 a.m. to noon.",
     "Sunny Days Daycare moves to a bigger building on Carver Street in August, keeping current families and adding room for about 20 more children, with an open house on July 27.",
     ["The new building has four classrooms, a garden and an indoor gym.",
      "Current families keep their places, and about 20 new spots open.",
      "There is an open house on July 27 from 10 a.m. to noon."]),
    ("Electric cars are powered by batteries instead of gasoline or diesel engines. They produce no tailpipe emissions and are generally cheaper to run per mile, since electricity usually costs less than fuel and there are fewer moving parts to maintain. However, they can cost more to buy, and drivers on long trips need to plan around charging stations. As battery prices fall and charging networks expand, these drawbacks are shrinking.",
     "Electric cars are cleaner and cheaper to run than fuel-powered cars but cost more up front and need charging plans, though both issues are easing.",
     ["No tailpipe emissions and lower running costs.",
      "Higher purchase prices and the need to plan charging on long trips.",
      "Falling battery prices and more chargers are reducing the drawbacks."]),
    ("This sprint the platform team upgraded the build servers to Python 3.11.4 and cut the average build time from 14 minutes to 9. Test coverage rose from 71% to 78% after new tests were added for the billing module. Two items slipped to next sprint: migrating the logging service and cleaning up old feature flags. The team's main risk is that the database upgrade planned for next month still has no owner.",
     "The platform team sped up builds and raised test coverage this sprint, but two tasks slipped and next month's database upgrade still lacks an owner.",
     ["Build servers now run Python 3.11.4; builds dropped from 14 to 9 minutes.",
      "Coverage rose from 71% to 78% thanks to new billing tests.",
      "The logging migration and flag cleanup slipped; the database upgrade needs an owner."]),
    ("We started up the trail just after sunrise, when the air was still cold enough to see our breath. By mid-morning the path had turned steep and rocky, and we stopped often to drink water and look back at the valley. Clouds rolled in near the top, so the famous view was mostly gray. Still, sitting on the summit with sore legs and squashed sandwiches, none of us regretted coming.",
     "A group hikes a steep trail from sunrise to the summit, and although clouds hide the view, they are glad they went.",
     ["They set off at sunrise in the cold.",
      "The trail became steep and rocky by mid-morning.",
      "Clouds hid the view at the top, but nobody regretted the climb."]),
    ("Learning a new language as an adult can be slower than it is for children, particularly when it comes to pronunciation. But adults have advantages too: they can use study strategies, understand grammar explanations and connect new words to things they already know. Regular practice matters more than long sessions, and speaking with native speakers, even briefly, speeds up progress. Many learners find that a small daily goal, such as ten new words, keeps them motivated.",
     "Adults may learn languages more slowly than children in some ways, but with regular practice, conversation and small daily goals they can make steady progress.",
     ["Pronunciation is often harder for adult learners.",
      "Adults benefit from study strategies and grammar explanations.",
      "Regular practice, speaking with native speakers and small daily goals help most."]),
    ("Starting March 1, residents no longer need to separate paper and plastic recycling. Both can go in the blue bin, which will be collected every other Wednesday. Glass must still be taken to one of the drop-off points, and food waste should go in the green bin. The city hopes the simpler system will raise the recycling rate, which was 32% last year.",
     "From March 1, paper and plastic share the blue bin collected every other Wednesday, while glass and food waste stay separate, in a bid to raise the 32% recycling rate.",
     ["Paper and plastic go together in the blue bin from March 1.",
      "Blue bins are collected every other Wednesday.",
      "Glass goes to drop-off points and food waste to the green bin."]),
    ("The Great Pyramid of Giza was built about 4,500 years ago as a tomb for the pharaoh Khufu. It was the tallest human-made structure in the world for more than 3,800 years. The pyramid is made of millions of stone blocks, and historians now believe it was built by thousands of paid laborers rather than by slaves, as was once commonly thought. Exactly how the heaviest blocks were raised into place is still debated.",
     "The Great Pyramid, built about 4,500 years ago for Khufu by paid laborers, was the world's tallest structure for over 3,800 years, and how it was built is still debated.",
     ["It was built about 4,500 years ago as Khufu's tomb.",
      "It stayed the tallest human-made structure for over 3,800 years.",
      "Paid laborers, not slaves, likely built it; the lifting methods are still debated."]),
    ("Most modern phone batteries last longest when they aren't constantly kept at 100% or drained to 0%. Heat is another major cause of battery wear, so avoid leaving your phone in a hot car or charging it under a pillow. Many phones now offer an optimized charging setting that holds the charge at around 80% overnight. These habits won't stop a battery from aging, but they can slow the decline noticeably.",
     "Avoiding full charges, deep drains and heat, and using optimized charging, can slow phone battery wear.",
     ["Don't keep the battery at 100% or let it hit 0% all the time.",
      "Keep the phone away from heat, such as hot cars or pillows while charging.",
      "Optimized charging settings help; battery aging can be slowed but not stopped."]),
    ("When Rosa Alvarez opened her bakery in 2019, she sold only three kinds of bread. Five years later, the shop offers more than twenty items, including a cardamom bun that regularly sells out by 9 a.m. Rosa still starts baking at 4 a.m. every day, and she credits her success to loyal neighbors who spread the word. This spring she plans to start weekend baking classes for beginners.",
     "Rosa Alvarez's bakery has grown from three breads in 2019 to over twenty items, thanks to loyal neighbors, and she will start beginner baking classes this spring.",
     ["The bakery opened in 2019 with three kinds of bread.",
      "It now sells over twenty items, including a cardamom bun that sells out early.",
      "Rosa credits word of mouth and plans weekend classes this spring."]),
    ("Humpback whales are famous for their songs, long sequences of moans, cries and clicks that can last for many minutes and be repeated for hours. Only the males sing, and scientists think the songs play a role in mating. Whales in the same population sing similar songs, and the songs gradually change over time, with new patterns sometimes spreading across an entire ocean basin.",
     "Male humpback whales sing long, repeated songs likely linked to mating, and these songs are shared within populations and change over time.",
     ["The songs are long sequences that can repeat for hours.",
      "Only males sing, probably as part of mating.",
      "Songs are shared within a population and evolve, sometimes spreading across an ocean."]),
]

PASSAGES += [
    ("Last spring, the city of Larchmont Falls launched a six-month pilot program to collect food scraps from 2,000 households in two neighborhoods. Each participating home received a small kitchen bin, a larger green cart for the curb, and a printed guide explaining what could go in it: fruit and vegetable scraps, coffee grounds, eggshells, bread and plate scrapings. Carts were collected weekly, on the same day as regular trash.\n\nBy the end of the pilot, about 68% of the households were setting out their green carts at least twice a month, and the amount of trash collected from those neighborhoods fell by roughly a fifth. The collected scraps were turned into compost at a regional facility and given back to residents at two free pickup events, which drew long lines.\n\nThe pilot was not without problems. In the first weeks, many residents put plastic bags and food packaging in their carts, which had to be sorted out by hand. Some people also complained about smells and fruit flies during a hot stretch in July. The city responded by sending out reminder postcards, offering free compostable liners, and switching to twice-weekly pickups during the hottest month.\n\nCity staff now recommend expanding the program to all neighborhoods over the next two years. The main costs would be new carts and drivers for an extra route, which staff expect to be partly offset by lower landfill fees.",
     "A six-month food-scrap pilot in two Larchmont Falls neighborhoods had solid participation and cut trash by about a fifth, and after fixing early contamination and odor problems, staff recommend expanding it citywide over two years.",
     ["About 2,000 households received bins, curbside carts and a guide, with weekly pickups.",
      "Around 68% used their carts regularly, trash fell by roughly a fifth, and the finished compost was given back to residents.",
      "Early plastic contamination and summer smells were handled with reminders, free liners and extra pickups.",
      "Staff propose a citywide rollout over two years, with costs partly offset by lower landfill fees."]),
    ("When I moved to a new city for work, I didn't know anyone, and the evenings felt very long. On a whim, I bought a bag of flour and a packet of yeast and decided to teach myself to bake bread. My first loaf was a disaster: dense, pale and so hard I could barely cut it. The second was not much better. But I kept a notebook, writing down how long I let the dough rise, how warm the kitchen was, and how the bread turned out.\n\nSlowly, the loaves improved. I learned that my apartment was cold, so the dough needed much longer to rise than the recipes said. I learned to trust the feel of the dough instead of the clock. By the end of the second month I was baking a loaf every weekend, and I had started bringing the extra bread to work.\n\nThat is how I met most of my friends here. A coworker asked for the recipe, then another asked if I could teach her, and soon four of us were meeting on Sunday afternoons to bake together. Looking back, the bread was never really the point. It gave me a routine when everything else was unfamiliar, and an easy reason to say to people, \"Come over, I made too much.\"",
     "After moving to a new city, the writer taught themselves to bake bread through trial and error, and sharing the loaves grew into a weekly baking group and new friendships.",
     ["The first loaves failed, so the writer kept notes on rising time, kitchen temperature and results.",
      "They learned that their cold kitchen needed longer rises and to judge dough by feel rather than by the clock.",
      "Sharing bread at work led to a Sunday baking group and new friends; the routine mattered more than the bread."]),
]

PASSAGES += [
    ("Starting 2025-01-06, our office will move to a new hybrid schedule. Every team will be in the office on Tuesdays and Thursdays, which we are calling anchor days, so that meetings, workshops and team lunches can happen in person. On the other three days, employees can choose to work from home or from the office, as long as they are reachable during core hours from 10 a.m. to 3 p.m.\n\nTo make the office days more useful, we are redesigning the second floor. The rows of assigned desks will be replaced by shared desks that can be booked a day in advance, four new meeting rooms, and a quiet area where phone calls are not allowed. Lockers will be available for anyone who wants to leave equipment overnight.\n\nSome roles will work differently. Reception, facilities and IT support staff will keep their current on-site schedules, and managers can agree on other arrangements with individual employees when there is a good reason, such as caring responsibilities or a long commute.\n\nWe will review the new schedule after three months using an anonymous survey and data on desk and room bookings. If the anchor days turn out to be too crowded or too empty, we will adjust them. Please send questions to your manager or raise them at the all-hands meeting on December 12.",
     "From 2025-01-06 the office moves to a hybrid schedule with in-office anchor days on Tuesdays and Thursdays, a redesigned floor with bookable desks, exceptions for some roles, and a review after three months.",
     ["Everyone comes in on Tuesdays and Thursdays; the other days are flexible, with core hours from 10 a.m. to 3 p.m.",
      "The second floor gets bookable shared desks, four meeting rooms, a quiet area and lockers.",
      "Reception, facilities and IT keep their on-site schedules, and managers can agree on individual exceptions.",
      "An anonymous survey and booking data will be used to review the schedule after three months."]),
    ("Leaves are green for most of the year because they are full of chlorophyll, the pigment plants use to capture energy from sunlight. Chlorophyll is constantly being broken down and replaced while a tree is actively growing. Leaves also contain yellow and orange pigments called carotenoids, but during the summer these are hidden by the much larger amount of green chlorophyll.\n\nAs the days shorten and temperatures drop in autumn, many trees prepare to shed their leaves for winter. They stop making new chlorophyll, and as the existing chlorophyll breaks down, the yellow and orange carotenoids that were there all along become visible. This is why birches and many maples turn yellow or gold.\n\nThe reds and purples come from a different group of pigments, called anthocyanins. Unlike carotenoids, most of these are newly produced in autumn, from sugars trapped in the leaf. Sunny days and cool, but not freezing, nights tend to produce more of them, which is why some autumns are far more colorful than others.\n\nEventually, a layer of cells forms where the leaf stalk meets the branch. It cuts off the leaf's supply of water, and the leaf falls. Before that happens, the tree pulls many of the nutrients back out of the leaf and stores them to use again in spring.",
     "Autumn colors appear when trees stop making green chlorophyll, revealing hidden yellow and orange carotenoids and producing new red anthocyanins, before a layer of cells seals off each leaf so it falls.",
     ["Green chlorophyll normally hides yellow and orange carotenoids.",
      "In autumn, chlorophyll breaks down and isn't replaced, so the yellows and oranges show through.",
      "Reds and purples come from anthocyanins, made in autumn and boosted by sunny days and cool nights.",
      "A layer of cells seals off the leaf so it falls, after the tree has pulled many nutrients back for spring."]),
]

SUM_Q = {
    "one": ["Summarize this in one sentence:\n\n{p}", "Give me a one-sentence summary of the following paragraph.\n\n{p}"],
    "brief": ["Can you summarize this paragraph?\n\n{p}", "Please write a short summary of the text below.\n\n{p}",
              "{p}\n\nSum that up briefly for me."],
    "tldr": ["TL;DR this, please:\n\n{p}", "{p}\n\nTL;DR?"],
    "points": ["What are the key points of this passage?\n\n{p}", "List the main points of the following in bullets:\n\n{p}"],
}


def gen_summaries(count):
    out = []
    kinds = ["one", "brief", "tldr", "points"]
    for i, (p, summ, pts) in enumerate(PASSAGES):
        k = kinds[i % 4] if rng.random() < 0.7 else rng.choice(kinds)
        if len(p) > 1000:  # long passages always get the fuller treatment
            k = rng.choice(["brief", "points"])
        q = rng.choice(SUM_Q[k]).format(p=p)
        claim(q)
        if k == "points":
            human = bullets(pts)
            synth = (opener() + "Here are the key points:\n\n" + bullets(pts) + f"\n\n**In short:** {summ}" + closer())
        elif k == "one":
            human = summ
            synth = opener() + "Here's a one-sentence summary:\n\n" + summ + closer()
        else:
            human = summ
            synth = (opener() + "Here's a summary of the paragraph:\n\n**Summary:** " + summ
                     + "\n\n**Key points:**\n" + bullets(pts) + closer())
        out.append(item("summarization", q, human, synth, None))
    return out[:count]


# --------------------------------------------------------------------------
# 11. Short Python code snippets. Every example output shown in an answer is
#     produced by actually running the snippet here.
# --------------------------------------------------------------------------

# dict(prompts, code, intro, how, examples, setup, kind)
#   kind "func": write a function; examples are expressions evaluated after exec(code)
#   kind "print": "what does this print?"; output captured from exec(code)
#   kind "fix": code is the buggy version, fixed is the corrected version
#   kind "plain": no runnable example
SNIPPETS = [
    dict(prompts=["Write a Python function that reverses the order of the words in a sentence.",
                  "How can I reverse the word order of a string in Python?"],
         code='def reverse_words(sentence):\n    """Return the sentence with its words in reverse order."""\n    return " ".join(sentence.split()[::-1])',
         intro="Here's a short function that reverses the order of words in a sentence:",
         how=["`split()` breaks the sentence into a list of words (splitting on any whitespace).",
              "`[::-1]` reverses that list.",
              "`\" \".join(...)` glues the words back together with single spaces."],
         examples=['reverse_words("the quick brown fox")']),
    dict(prompts=["Write a Python function to check whether a string is a palindrome, ignoring case and spaces.",
                  "I need a Python palindrome checker that ignores punctuation and capitalization."],
         code='def is_palindrome(text):\n    """Check whether text reads the same forwards and backwards."""\n    cleaned = [ch.lower() for ch in text if ch.isalnum()]\n    return cleaned == cleaned[::-1]',
         intro="Here's a palindrome checker that ignores case, spaces and punctuation:",
         how=["The list comprehension keeps only letters and digits, lowercased.",
              "`cleaned[::-1]` is the reversed list.",
              "If the two are equal, the text is a palindrome."],
         examples=['is_palindrome("Never odd or even")', 'is_palindrome("Python")']),
    dict(prompts=["Write a Python function that computes the factorial of a number without using recursion.",
                  "Show me an iterative factorial function in Python."],
         code='def factorial(n):\n    """Return n! for a non-negative integer n."""\n    if n < 0:\n        raise ValueError("n must be non-negative")\n    result = 1\n    for i in range(2, n + 1):\n        result *= i\n    return result',
         intro="Here's an iterative factorial function with a check for negative input:",
         how=["Negative numbers have no factorial, so they raise a `ValueError`.",
              "`result` starts at 1, which also makes `factorial(0)` and `factorial(1)` return 1.",
              "The loop multiplies `result` by every integer from 2 up to `n`."],
         examples=["factorial(5)", "factorial(0)"]),
    dict(prompts=["Write a Python function that returns the first n Fibonacci numbers as a list.",
                  "How do I generate a list of the first n Fibonacci numbers in Python?"],
         code='def fibonacci(n):\n    """Return a list with the first n Fibonacci numbers."""\n    numbers = []\n    a, b = 0, 1\n    for _ in range(n):\n        numbers.append(a)\n        a, b = b, a + b\n    return numbers',
         intro="This function builds the sequence with two running variables:",
         how=["`a` and `b` hold the two most recent numbers, starting at 0 and 1.",
              "Each loop iteration appends `a`, then shifts the pair forward.",
              "The loop runs exactly `n` times, so you get `n` numbers."],
         examples=["fibonacci(10)"]),
    dict(prompts=["Write a Python function that counts the vowels in a string.",
                  "How would I count how many vowels a string has in Python?"],
         code='def count_vowels(text):\n    """Count the vowels (a, e, i, o, u) in text, ignoring case."""\n    return sum(1 for ch in text.lower() if ch in "aeiou")',
         intro="Here's a compact way to count vowels:",
         how=["`text.lower()` makes the check case-insensitive.",
              "The generator yields 1 for every character that is a vowel.",
              "`sum` adds those ones up."],
         examples=['count_vowels("Programming is fun")']),
    dict(prompts=["Write a Python function to convert Celsius to Fahrenheit.",
                  "Give me a Python function that turns a Celsius temperature into Fahrenheit."],
         code='def celsius_to_fahrenheit(celsius):\n    """Convert a temperature from Celsius to Fahrenheit."""\n    return celsius * 9 / 5 + 32',
         intro="The conversion formula is °F = °C × 9/5 + 32, which translates directly into Python:",
         how=["Multiply by 9/5 to scale the degree size.", "Add 32 to shift the zero point."],
         examples=["celsius_to_fahrenheit(100)", "celsius_to_fahrenheit(-40)"]),
    dict(prompts=["Write a Python function that returns the sum of the even numbers in a list.",
                  "How can I add up only the even numbers in a Python list?"],
         code='def sum_of_evens(numbers):\n    """Return the sum of the even numbers in the list."""\n    return sum(n for n in numbers if n % 2 == 0)',
         intro="You can do this in one line with a generator expression:",
         how=["`n % 2 == 0` is true for even numbers (including negative ones and zero).",
              "`sum` adds up only the numbers that pass the filter."],
         examples=["sum_of_evens([1, 2, 3, 4, 5, 6])", "sum_of_evens([7, 9])"]),
    dict(prompts=["Write a Python function that finds the largest number in a list without using max().",
                  "How do I find the maximum of a list manually in Python, without the built-in max?"],
         code='def find_max(numbers):\n    """Return the largest number in a non-empty list."""\n    if not numbers:\n        raise ValueError("the list is empty")\n    largest = numbers[0]\n    for n in numbers[1:]:\n        if n > largest:\n            largest = n\n    return largest',
         intro="Here's a manual version that walks through the list once:",
         how=["An empty list has no maximum, so it raises a `ValueError`.",
              "`largest` starts as the first element.",
              "Every later element that is bigger replaces it."],
         examples=["find_max([3, 41, 7, 19])", "find_max([-5, -2, -9])"]),
    dict(prompts=["Write a Python function that removes duplicates from a list but keeps the original order.",
                  "How can I deduplicate a Python list while preserving order?"],
         code='def remove_duplicates(items):\n    """Return a new list without duplicates, keeping first occurrences in order."""\n    seen = set()\n    result = []\n    for item in items:\n        if item not in seen:\n            seen.add(item)\n            result.append(item)\n    return result',
         intro="Using a set to remember what you've already seen keeps this fast and order-preserving:",
         how=["`seen` records items already added, with fast membership checks.",
              "Each item is appended only the first time it appears.",
              "The original list is left unchanged."],
         examples=['remove_duplicates([3, 1, 3, 2, 1])', 'remove_duplicates(["b", "a", "b"])']),
    dict(prompts=["Write a Python function that counts how often each word appears in a text.",
                  "How do I get word frequencies from a string in Python?"],
         code='import re\nfrom collections import Counter\n\ndef word_frequencies(text):\n    """Count how often each word occurs, ignoring case and punctuation."""\n    words = re.findall(r"[a-z\']+", text.lower())\n    return Counter(words)',
         intro="`collections.Counter` does most of the work here:",
         how=["`text.lower()` makes \"The\" and \"the\" count as the same word.",
              "The regular expression pulls out runs of letters (and apostrophes), dropping punctuation.",
              "`Counter` tallies the words; `.most_common(n)` gives the top n."],
         examples=['word_frequencies("The cat sat. The cat ran!").most_common(2)']),
    dict(prompts=["Write a Python function that checks whether a number is prime.",
                  "What's a simple and reasonably efficient prime check in Python?"],
         code='def is_prime(n):\n    """Return True if n is a prime number."""\n    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n        if n % i == 0:\n            return False\n        i += 1\n    return True',
         intro="This checks divisors only up to the square root of `n`:",
         how=["Numbers below 2 are not prime.",
              "If `n` has a divisor larger than its square root, it also has one smaller, so checking up to √n is enough.",
              "If no divisor is found, `n` is prime."],
         examples=["is_prime(97)", "is_prime(91)", "[n for n in range(20) if is_prime(n)]"]),
    dict(prompts=["How do I flatten a list of lists into a single list in Python?",
                  "Write a Python function that flattens one level of nested lists."],
         code='def flatten(list_of_lists):\n    """Flatten one level of nesting."""\n    return [item for sublist in list_of_lists for item in sublist]',
         intro="A nested list comprehension flattens one level of nesting:",
         how=["The outer loop goes over each inner list.",
              "The inner loop goes over each item in that list.",
              "Items are collected in order into a single new list."],
         examples=["flatten([[1, 2], [3], [4, 5, 6]])"]),
    dict(prompts=["How can I merge two dictionaries in Python?",
                  "What's the cleanest way to combine two dicts in Python 3?"],
         code='def merge_dicts(a, b):\n    """Return a new dict with the keys of a and b; b wins on conflicts."""\n    return {**a, **b}',
         intro="Dictionary unpacking creates a merged copy without modifying either input:",
         how=["`{**a, **b}` copies all pairs from `a`, then from `b`.",
              "If a key exists in both, the value from `b` wins.",
              "On Python 3.9+, `a | b` does the same thing."],
         examples=['merge_dicts({"x": 1, "y": 2}, {"y": 3, "z": 4})']),
    dict(prompts=["Write a Python function for the greatest common divisor of two numbers using Euclid's algorithm.",
                  "Implement gcd in Python without importing math."],
         code='def gcd(a, b):\n    """Greatest common divisor using Euclid\'s algorithm."""\n    while b:\n        a, b = b, a % b\n    return abs(a)',
         intro="Euclid's algorithm repeatedly replaces the pair with (b, a mod b):",
         how=["When `b` reaches 0, `a` holds the greatest common divisor.",
              "`abs` makes the result positive even for negative inputs.",
              "The standard library also has `math.gcd` if you prefer."],
         examples=["gcd(48, 36)", "gcd(17, 5)"]),
    dict(prompts=["Give me a list comprehension that makes the squares of the numbers 1 through 10.",
                  "How do I create a list of squares from 1 to 10 in one line of Python?"],
         code='squares = [n ** 2 for n in range(1, 11)]',
         intro="A list comprehension does this in one line:",
         how=["`range(1, 11)` produces 1 up to and including 10 (the end is exclusive).",
              "`n ** 2` squares each number."],
         examples=["squares"]),
    dict(prompts=["Write FizzBuzz in Python as a function that returns a list of strings.",
                  "Can you write a FizzBuzz function in Python that returns the results instead of printing them?"],
         code='def fizzbuzz(n):\n    """Return FizzBuzz results for 1..n."""\n    out = []\n    for i in range(1, n + 1):\n        if i % 15 == 0:\n            out.append("FizzBuzz")\n        elif i % 3 == 0:\n            out.append("Fizz")\n        elif i % 5 == 0:\n            out.append("Buzz")\n        else:\n            out.append(str(i))\n    return out',
         intro="Here's a FizzBuzz function that returns a list, which makes it easy to test:",
         how=["Multiples of 15 are checked first, since they are multiples of both 3 and 5.",
              "Then multiples of 3 become \"Fizz\" and multiples of 5 become \"Buzz\".",
              "Everything else is converted to a string."],
         examples=["fizzbuzz(15)"]),
    dict(prompts=["Write a Python function to check whether two words are anagrams.",
                  "How can I tell if two strings are anagrams of each other in Python?"],
         code='def is_anagram(a, b):\n    """Check whether a and b use exactly the same letters, ignoring case and spaces."""\n    clean = lambda s: sorted(s.replace(" ", "").lower())\n    return clean(a) == clean(b)',
         intro="Two strings are anagrams if their sorted letters match:",
         how=["Spaces are removed and letters lowercased.",
              "`sorted` turns each string into an ordered list of letters.",
              "Equal lists mean the strings are anagrams."],
         examples=['is_anagram("listen", "silent")', 'is_anagram("Dormitory", "dirty room")', 'is_anagram("apple", "paper")']),
    dict(prompts=["Implement binary search in Python. Return the index of the target or -1.",
                  "Write an iterative binary search function in Python for a sorted list."],
         code='def binary_search(items, target):\n    """Return the index of target in the sorted list items, or -1."""\n    lo, hi = 0, len(items) - 1\n    while lo <= hi:\n        mid = (lo + hi) // 2\n        if items[mid] == target:\n            return mid\n        if items[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1',
         intro="Binary search halves the search range on every step, so it runs in O(log n) time:",
         how=["`lo` and `hi` mark the part of the list that could still contain the target.",
              "Compare the middle element with the target and discard the half that can't contain it.",
              "If the range becomes empty, the target isn't there, so return -1.",
              "The list must already be sorted."],
         examples=["binary_search([2, 5, 8, 12, 16, 23, 38], 23)", "binary_search([2, 5, 8, 12], 7)"]),
    dict(prompts=["Write a Python function that returns the average of a list, or None if the list is empty.",
                  "How do I safely compute the mean of a list in Python when it might be empty?"],
         code='def average(numbers):\n    """Return the arithmetic mean, or None for an empty list."""\n    if not numbers:\n        return None\n    return sum(numbers) / len(numbers)',
         intro="Checking for an empty list first avoids a `ZeroDivisionError`:",
         how=["An empty list is falsy, so `not numbers` catches it.",
              "Otherwise divide the total by the count."],
         examples=["average([4, 8, 15, 16])", "average([])"]),
    dict(prompts=["How do I split a list into chunks of a given size in Python?",
                  "Write a Python function that breaks a list into pieces of size n."],
         code='def chunk(items, size):\n    """Split items into consecutive lists of length size (the last may be shorter)."""\n    return [items[i:i + size] for i in range(0, len(items), size)]',
         intro="Slicing in steps of `size` does the job:",
         how=["`range(0, len(items), size)` gives the start index of each chunk.",
              "`items[i:i + size]` takes up to `size` elements; slicing past the end is safe.",
              "The last chunk holds whatever is left over."],
         examples=["chunk([1, 2, 3, 4, 5, 6, 7], 3)"]),
    dict(prompts=["How can I sort a dictionary by its values, highest first, in Python?",
                  "I have a dict of scores. How do I list the entries from highest score to lowest?"],
         code='scores = {"ana": 82, "ben": 95, "chen": 77}\nranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)',
         intro="Use `sorted` on the dictionary's items with a key function:",
         how=["`scores.items()` gives (key, value) pairs.",
              "`key=lambda kv: kv[1]` sorts by the value.",
              "`reverse=True` puts the highest value first."],
         examples=["ranked", "dict(ranked)"]),
    dict(prompts=["Write a Python function that tells me whether a year is a leap year.",
                  "How do I check for leap years in Python?"],
         code='def is_leap_year(year):\n    """Gregorian leap year rule."""\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)',
         intro="The Gregorian rule is: divisible by 4, except centuries, unless divisible by 400:",
         how=["`year % 4 == 0` handles the basic rule.",
              "`year % 100 != 0` excludes century years...",
              "...unless `year % 400 == 0`, which puts years like 2000 back in.",
              "The standard library's `calendar.isleap` does the same."],
         examples=["is_leap_year(2024)", "is_leap_year(1900)", "is_leap_year(2000)"]),
    dict(prompts=["Write a Python function that returns the second largest distinct number in a list.",
                  "How do I get the second biggest unique value from a list in Python?"],
         code='def second_largest(numbers):\n    """Return the second largest distinct value, or None if there isn\'t one."""\n    distinct = sorted(set(numbers), reverse=True)\n    return distinct[1] if len(distinct) > 1 else None',
         intro="Removing duplicates first makes sure a repeated maximum isn't counted twice:",
         how=["`set(numbers)` removes duplicates.",
              "Sorting in reverse puts the largest value first.",
              "If there are fewer than two distinct values, it returns `None`."],
         examples=["second_largest([10, 40, 40, 25])", "second_largest([5, 5])"]),
    dict(prompts=["How do I transpose a matrix (a list of lists) in Python?",
                  "Write a Python function that swaps the rows and columns of a 2D list."],
         code='def transpose(matrix):\n    """Swap rows and columns of a rectangular list of lists."""\n    return [list(row) for row in zip(*matrix)]',
         intro="`zip(*matrix)` groups the i-th elements of every row together, which is exactly a transpose:",
         how=["`*matrix` passes each row to `zip` as a separate argument.",
              "`zip` yields tuples of the first elements, then the second elements, and so on.",
              "`list(row)` turns each tuple back into a list."],
         examples=["transpose([[1, 2, 3], [4, 5, 6]])"]),
    dict(prompts=["How do I compute a running total of a list in Python?",
                  "Write Python code that turns [3, 1, 4, 1, 5] into its cumulative sums."],
         code='from itertools import accumulate\n\ndef running_total(numbers):\n    """Return the cumulative sums of numbers."""\n    return list(accumulate(numbers))',
         intro="`itertools.accumulate` computes cumulative sums for you:",
         how=["`accumulate` yields the sum so far at each position.",
              "`list(...)` collects the results."],
         examples=["running_total([3, 1, 4, 1, 5])"]),
    dict(prompts=["Write a Python function that clamps a number to a range.",
                  "How do I limit a value so it stays between a minimum and maximum in Python?"],
         code='def clamp(value, low, high):\n    """Limit value to the range [low, high]."""\n    return max(low, min(value, high))',
         intro="Combining `min` and `max` clamps a value in one line:",
         how=["`min(value, high)` caps the value at the top of the range.",
              "`max(low, ...)` raises it to the bottom of the range if needed."],
         examples=["clamp(15, 0, 10)", "clamp(-3, 0, 10)", "clamp(7, 0, 10)"]),
    dict(prompts=["Write a Python function that converts a number of seconds to HH:MM:SS format.",
                  "How do I format a duration in seconds as hours:minutes:seconds in Python?"],
         code='def seconds_to_hms(total_seconds):\n    """Format a number of seconds as HH:MM:SS."""\n    hours, rest = divmod(total_seconds, 3600)\n    minutes, seconds = divmod(rest, 60)\n    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"',
         intro="`divmod` gives the quotient and remainder in one step, which is perfect here:",
         how=["Dividing by 3600 gives whole hours and the leftover seconds.",
              "Dividing the leftover by 60 gives minutes and seconds.",
              "`:02d` pads each part to two digits."],
         examples=["seconds_to_hms(3725)", "seconds_to_hms(59)"]),
    dict(prompts=["Write a Python function that rotates a list to the right by k positions.",
                  "How do I rotate a Python list by k steps to the right?"],
         code='def rotate_right(items, k):\n    """Rotate items to the right by k positions."""\n    if not items:\n        return []\n    k %= len(items)\n    return items[-k:] + items[:-k]',
         intro="Slicing makes rotation straightforward:",
         how=["`k %= len(items)` handles values of k larger than the list.",
              "`items[-k:]` takes the last k elements and moves them to the front.",
              "When k is 0, `items[-0:]` is the whole list and `items[:-0]` is empty, so the list comes back unchanged."],
         examples=["rotate_right([1, 2, 3, 4, 5], 2)", "rotate_right([1, 2, 3], 4)"]),
    dict(prompts=["Write a Python function that checks whether a list is sorted in ascending order.",
                  "How can I test if a Python list is already sorted?"],
         code='def is_sorted(items):\n    """Return True if items is in non-decreasing order."""\n    return all(a <= b for a, b in zip(items, items[1:]))',
         intro="Compare each element with the next one:",
         how=["`zip(items, items[1:])` pairs every element with its successor.",
              "`all(...)` is true only if every pair is in order.",
              "Empty and one-element lists count as sorted."],
         examples=["is_sorted([1, 2, 2, 5])", "is_sorted([3, 1, 2])"]),
    dict(prompts=["Write a simple BankAccount class in Python with deposit and withdraw methods.",
                  "Show me a small Python class for a bank account that doesn't allow overdrafts."],
         code='class BankAccount:\n    """A minimal bank account that refuses overdrafts."""\n\n    def __init__(self, balance=0):\n        self.balance = balance\n\n    def deposit(self, amount):\n        if amount <= 0:\n            raise ValueError("deposit must be positive")\n        self.balance += amount\n\n    def withdraw(self, amount):\n        if amount > self.balance:\n            raise ValueError("insufficient funds")\n        self.balance -= amount',
         intro="Here's a minimal class that keeps a balance and refuses overdrafts:",
         how=["`__init__` sets the starting balance (0 by default).",
              "`deposit` rejects zero or negative amounts.",
              "`withdraw` raises an error instead of letting the balance go negative."],
         setup="acct = BankAccount(100)\nacct.deposit(50)\nacct.withdraw(30)",
         examples=["acct.balance"]),
    dict(prompts=["Write a Python function that capitalizes the first letter of every word in a string.",
                  "How do I capitalize each word of a sentence in Python?"],
         code='def capitalize_words(text):\n    """Capitalize the first letter of each word."""\n    return " ".join(word[:1].upper() + word[1:] for word in text.split())',
         intro="This capitalizes each word without lowercasing the rest of it:",
         how=["`text.split()` breaks the string into words.",
              "`word[:1].upper() + word[1:]` capitalizes just the first character.",
              "Unlike `str.title()`, this leaves letters after an apostrophe alone (\"don't\" stays \"Don't\")."],
         examples=['capitalize_words("don\'t stop believing")']),
    dict(prompts=["How do I convert a list of numeric strings to integers in Python?",
                  "I have [\"4\", \"15\", \"16\"] and need real ints. What's the Pythonic way?"],
         code='strings = ["4", "15", "16", "23"]\nnumbers = [int(s) for s in strings]',
         intro="A list comprehension with `int()` converts each string:",
         how=["`int(s)` parses each string as an integer.",
              "It raises a `ValueError` if a string isn't a valid integer, so validate input you don't control.",
              "`list(map(int, strings))` is an equivalent alternative."],
         examples=["numbers", "sum(numbers)"]),
    dict(prompts=["How do I list all the .txt files in a folder with Python?",
                  "What's a modern way to find every .txt file in a directory in Python?"],
         code='from pathlib import Path\n\ndef list_text_files(folder):\n    """Return the .txt files directly inside folder, sorted by name."""\n    return sorted(Path(folder).glob("*.txt"))',
         intro="`pathlib` makes this short and readable:",
         how=["`Path(folder).glob(\"*.txt\")` finds files ending in .txt directly inside the folder.",
              "Use `rglob(\"*.txt\")` instead to include subfolders.",
              "`sorted` returns the paths in alphabetical order."],
         examples=[], kind="plain"),
    dict(prompts=["How do I save a Python dictionary to a JSON file and load it back?",
                  "Show me how to write a dict to JSON on disk and read it again in Python."],
         code='import json\n\ndef save_json(data, path):\n    with open(path, "w", encoding="utf-8") as f:\n        json.dump(data, f, indent=2)\n\ndef load_json(path):\n    with open(path, encoding="utf-8") as f:\n        return json.load(f)',
         intro="The `json` module handles both directions:",
         how=["`json.dump` writes the data; `indent=2` makes the file easy to read.",
              "`json.load` reads it back into Python objects.",
              "The `with` blocks close the files automatically."],
         examples=[], kind="plain"),
    dict(prompts=["I'm on Python 3.11.4. How can I print the Python version from inside a script?",
                  "How do I check which Python version my script is running on?"],
         code='import sys\n\nprint(sys.version)          # full version string\nprint(sys.version_info[:3])  # e.g. (3, 11, 4)\n\nif sys.version_info < (3, 9):\n    raise SystemExit("This script needs Python 3.9 or newer")',
         intro="The `sys` module exposes the running interpreter's version:",
         how=["`sys.version` is a human-readable string that includes build details.",
              "`sys.version_info` is a tuple you can compare, which is handy for minimum-version checks.",
              "From a terminal, `python3 --version` prints the same number."],
         examples=[], kind="plain"),
    dict(prompts=["What does this Python code print?\n\n```python\nx = [1, 2, 3]\ny = x\ny.append(4)\nprint(x)\n```"],
         code='x = [1, 2, 3]\ny = x\ny.append(4)\nprint(x)',
         intro="",
         how=["`y = x` doesn't copy the list; both names refer to the same list object.",
              "`y.append(4)` modifies that shared list, so the change shows up through `x` too.",
              "Use `y = x.copy()` (or `list(x)`) if you want an independent copy."],
         examples=[], kind="print"),
    dict(prompts=["What will `print(7 // 2, 7 % 2, 7 / 2, -7 // 2)` output in Python 3?"],
         code='print(7 // 2, 7 % 2, 7 / 2, -7 // 2)',
         intro="",
         how=["`//` is floor division: 7 // 2 is 3.",
              "`%` is the remainder: 7 % 2 is 1.",
              "`/` is true division and always returns a float: 3.5.",
              "Floor division rounds toward negative infinity, so -7 // 2 is -4, not -3."],
         examples=[], kind="print"),
    dict(prompts=["What does this print?\n\n```python\nwords = [\"kiwi\", \"fig\", \"banana\"]\nprint(sorted(words, key=len))\nprint(sorted(words))\n```"],
         code='words = ["kiwi", "fig", "banana"]\nprint(sorted(words, key=len))\nprint(sorted(words))',
         intro="",
         how=["With `key=len`, the words are ordered by length: 3, 4, then 6 letters.",
              "Without a key, strings are sorted alphabetically.",
              "`sorted` returns a new list and leaves `words` unchanged."],
         examples=[], kind="print"),
    dict(prompts=["My function should add up a list, but it always returns 0. What's wrong?\n\n```python\ndef total(numbers):\n    result = 0\n    for n in numbers:\n        result + n\n    return result\n```"],
         code='def total(numbers):\n    result = 0\n    for n in numbers:\n        result += n\n    return result',
         intro="The line `result + n` computes a sum but throws it away, because the result is never assigned. Use `+=` to update `result`:",
         how=["`result + n` is an expression whose value is discarded.",
              "`result += n` adds `n` and stores the new total back in `result`.",
              "The built-in `sum(numbers)` does the same job in one call."],
         examples=["total([4, 5, 6])"], kind="fix"),
    dict(prompts=["Why does this function keep remembering items from earlier calls?\n\n```python\ndef add_item(item, items=[]):\n    items.append(item)\n    return items\n```"],
         code='def add_item(item, items=None):\n    if items is None:\n        items = []\n    items.append(item)\n    return items',
         intro="The default list is created once, when the function is defined, and then shared by every call that doesn't pass `items`. Use `None` as the default and create a new list inside the function:",
         how=["Default argument values are evaluated only once, at definition time.",
              "So every call without `items` appends to the same list.",
              "Using `None` as a sentinel gives each call a fresh list."],
         setup="first = add_item(\"a\")\nsecond = add_item(\"b\")",
         examples=["second"], kind="fix"),
    dict(prompts=["This loop is supposed to print every item, but the first one is missing. Why?\n\n```python\nitems = [\"red\", \"green\", \"blue\"]\nfor i in range(1, len(items)):\n    print(items[i])\n```"],
         code='items = ["red", "green", "blue"]\nfor item in items:\n    print(item)',
         intro="`range(1, len(items))` starts at index 1, but Python lists start at index 0, so the first item is skipped. The simplest fix is to loop over the items directly:",
         how=["List indexes start at 0, so `items[0]` is \"red\".",
              "Iterating with `for item in items` avoids index arithmetic entirely.",
              "If you also need the index, use `for i, item in enumerate(items):`."],
         examples=[], kind="print"),
    dict(prompts=["How do I pin the requests library to version 2.31.0 in a requirements.txt file?",
                  "What's the line for requirements.txt to install exactly requests 2.31.0?"],
         code='requests==2.31.0',
         intro="Use `==` to pin an exact version in `requirements.txt`:",
         how=["`==` installs exactly that version.",
              "`>=2.31.0,<3` would allow newer 2.x releases instead.",
              "Install everything in the file with `pip install -r requirements.txt`."],
         examples=[], kind="plain", lang="text"),
]


def run_snippet(sn):
    """Execute the snippet; return (example lines, printed output)."""
    ns = {}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        if sn.get("kind", "func") != "plain":
            exec(sn["code"], ns)
            if sn.get("setup"):
                exec(sn["setup"], ns)
    lines = []
    for ex in sn["examples"]:
        lines.append((ex, repr(eval(ex, ns))))
    return lines, buf.getvalue()


def strip_docstrings(code):
    return "\n".join(l for l in code.split("\n") if not l.strip().startswith('"""'))


def gen_coding(count):
    out = []
    for sn in SNIPPETS:
        kind = sn.get("kind", "func")
        lang = sn.get("lang", "python")
        q = rng.choice(sn["prompts"])
        claim(q)
        lines, printed = run_snippet(sn)
        block = f"```{lang}\n{sn['code']}\n```"
        hblock = f"```{lang}\n{strip_docstrings(sn['code'])}\n```"
        setup = sn.get("setup", "")
        ex_block = ""
        if lines:
            shown = "\n".join(f">>> {l}" for l in setup.split("\n")) + "\n" if setup else ""
            shown += "\n".join(f">>> {e}\n{r}" for e, r in lines)
            ex_block = f"```python\n{shown}\n```"
        if kind == "print" and not sn["intro"]:
            out_block = f"```\n{printed.rstrip()}\n```"
            human = out_block + "\n\n" + sn["how"][0] if rng.random() < 0.6 else out_block
            synth = (opener() + "It prints:\n\n" + out_block + "\n\n**Why:**\n" + bullets(sn["how"]) + closer())
        elif kind == "print":
            out_block = f"```\n{printed.rstrip()}\n```"
            human = hblock + "\n\nList indexes start at 0, and `range(1, ...)` skips index 0."
            synth = (opener() + sn["intro"] + "\n\n" + block + "\n\nOutput:\n\n" + out_block
                     + "\n\n**Key points:**\n" + bullets(sn["how"]) + closer())
        elif kind == "fix":
            human = hblock + "\n\n" + sn["how"][0]
            synth = (opener() + sn["intro"] + "\n\n" + block + "\n\n**Why this happens:**\n" + bullets(sn["how"])
                     + ("\n\n**Check:**\n" + ex_block if ex_block else "") + closer())
        else:
            human = hblock
            if lines and not setup and rng.random() < 0.5:
                e, r = lines[0]
                human += f"\n\n`{e}` returns `{r}`."
            synth = (opener() + sn["intro"] + "\n\n" + block + "\n\n**How it works:**\n" + bullets(sn["how"])
                     + ("\n\n**Example:**\n" + ex_block if ex_block else "") + closer())
        out.append(item("coding", q, human, synth, None))
    return out[:count]


# --------------------------------------------------------------------------
# 12. Brainstorming and lists
# --------------------------------------------------------------------------

# (prompt templates with {n}, what the list is "about", items (short, detail), closing line)
BRAINSTORMS = [
    (["Give me {n} tips for sleeping better.", "What are {n} things I can do to improve my sleep?"], "tips for sleeping better",
     [("Keep a consistent schedule", "Go to bed and get up at the same time every day, even on weekends."),
      ("Dim the lights in the evening", "Bright light, especially from screens, makes it harder to fall asleep."),
      ("Cut off caffeine by early afternoon", "Caffeine can stay in your system for many hours."),
      ("Keep your bedroom cool and dark", "A cool, quiet, dark room makes it easier to stay asleep."),
      ("Wind down with a routine", "Twenty minutes of reading or stretching tells your body it's time for bed.")],
     "Small, consistent changes usually work better than trying everything at once."),
    (["What are {n} good ways to study for exams?", "Share {n} study tips for exam season."], "ways to study more effectively for exams",
     [("Start early and space it out", "Short daily sessions beat one all-night cram."),
      ("Test yourself", "Use flashcards or past papers instead of just rereading notes."),
      ("Teach it to someone", "Explaining a topic out loud reveals gaps in your understanding."),
      ("Remove distractions", "Put your phone in another room while you study."),
      ("Sleep well the night before", "Rest helps you recall what you've learned.")],
     "Good luck with your exams!"),
    (["How can I save money on groceries? Give me {n} ideas.", "List {n} ways to cut my grocery bill."], "ways to save money on groceries",
     [("Plan meals for the week", "Then shop from a list and stick to it."),
      ("Don't shop hungry", "You're more likely to grab snacks and extras."),
      ("Compare unit prices", "The price per kilogram or per item shows the real deal."),
      ("Try store brands", "They're often cheaper and similar in quality."),
      ("Use up leftovers", "Turn extra rice or vegetables into the next day's lunch.")],
     "Even two or three of these can noticeably lower your weekly spending."),
    (["I work from home and get distracted easily. Give me {n} tips to stay focused.", "What are {n} ways to stay focused while working remotely?"], "tips for staying focused while working from home",
     [("Set up a dedicated workspace", "Even a small corner helps your brain switch into work mode."),
      ("Keep regular hours", "Start and stop at roughly the same times each day."),
      ("Work in timed blocks", "Focus for 25 to 50 minutes, then take a short break."),
      ("Silence notifications", "Turn off non-urgent alerts during focus time."),
      ("Get dressed for the day", "It sounds small, but it marks the start of the workday.")],
     "Experiment to find which combination works best for you."),
    (["Suggest {n} ways to reduce plastic waste at home.", "What are {n} easy ways to use less plastic?"], "ways to reduce plastic waste at home",
     [("Carry reusable bags", "Keep a few folded bags in your backpack or car."),
      ("Use a refillable water bottle", "It replaces dozens of single-use bottles."),
      ("Buy in bulk", "Larger containers use less packaging per serving."),
      ("Switch to bar soap and shampoo bars", "They usually come with little or no plastic."),
      ("Store food in glass jars", "Reuse jars instead of plastic containers and cling film.")],
     "Every swap adds up over a year."),
    (["I want to start running. Give me {n} beginner tips.", "What are {n} tips for someone new to running?"], "tips for new runners",
     [("Start with walk-run intervals", "For example, alternate one minute of running with two minutes of walking."),
      ("Go slower than you think", "You should be able to hold a conversation."),
      ("Increase gradually", "Add only a little time or distance each week to avoid injury."),
      ("Get comfortable shoes", "A good fit matters more than the brand or price."),
      ("Rest between runs", "Running every other day gives your body time to adapt.")],
     "Enjoy the process, and celebrate each milestone!"),
    (["What are {n} tips for learning a new language?", "Give me {n} ideas to help me learn Spanish faster."], "tips for learning a new language",
     [("Practice a little every day", "Fifteen minutes daily beats two hours once a week."),
      ("Learn the most common words first", "A few hundred frequent words cover a lot of everyday speech."),
      ("Speak early", "Don't wait until you feel ready; conversation builds confidence."),
      ("Listen to podcasts or music", "It trains your ear for natural speed and pronunciation."),
      ("Label things at home", "Sticky notes on objects help vocabulary stick.")],
     "Consistency is the biggest factor, so pick habits you can keep up."),
    (["My houseplants keep dying. Give me {n} tips.", "What are {n} tips for keeping houseplants alive?"], "tips for keeping houseplants healthy",
     [("Match plants to the light", "Put sun-loving plants near bright windows and shade-lovers farther back."),
      ("Water when the soil is dry", "Push a finger into the soil first; overwatering kills more plants than underwatering."),
      ("Use pots with drainage holes", "Standing water leads to root rot."),
      ("Start with hardy plants", "Pothos, snake plants and ZZ plants tolerate a lot of neglect."),
      ("Dust the leaves", "Dust blocks light, so wipe large leaves now and then.")],
     "With the right light and watering, most plants bounce back quickly."),
    (["I have a job interview next week. Give me {n} tips to prepare.", "What are {n} ways to prepare for a job interview?"], "ways to prepare for a job interview",
     [("Research the company", "Know what they do, who their customers are, and any recent news."),
      ("Prepare a few stories", "Have short examples of problems you solved and the results."),
      ("Practice out loud", "Rehearse common questions with a friend."),
      ("Prepare questions to ask", "It shows interest and helps you judge the job."),
      ("Plan the logistics", "Know the time and place (or the video link) and be a few minutes early.")],
     "Good luck! Preparation is the best cure for interview nerves."),
    (["Suggest {n} names for a new neighborhood bakery.", "I'm opening a bakery. Can you brainstorm {n} name ideas?"], "name ideas for a neighborhood bakery",
     [("Rise & Shine Bakery", "Cheerful, and a nod to rising dough."),
      ("The Daily Crumb", "Suggests fresh baking every day."),
      ("Golden Crust", "Evokes perfectly baked bread."),
      ("Flour & Fable", "Has a cozy, storybook feel."),
      ("Knead to Know", "A playful pun for a bakery with a sense of humor.")],
     "Before deciding, check that the name isn't already used by a business near you."),
    (["It's raining and the kids are bored. Give me {n} indoor activity ideas.", "What are {n} fun things to do with kids on a rainy day?"], "rainy-day activities for kids",
     [("Build a blanket fort", "Chairs, blankets and pillows make an instant hideout."),
      ("Have an indoor scavenger hunt", "Write clues that lead to a small prize."),
      ("Bake something together", "Measuring and mixing doubles as a math lesson."),
      ("Put on a puppet show", "Make puppets from socks or paper bags."),
      ("Do a cardboard craft", "Turn old boxes into a castle, a car or a robot.")],
     "Have fun!"),
    (["Suggest {n} gift ideas for a coworker, under $20.", "I need a small gift for a colleague, budget $20. Give me {n} ideas."], "gift ideas for a coworker under $20",
     [("A nice notebook", "Useful for anyone who takes notes."),
      ("A small potted plant", "Succulents brighten up a desk and are easy to care for."),
      ("Good coffee or tea", "A small bag of quality beans or loose-leaf tea."),
      ("A mug with a treat inside", "Add a few chocolates or a hot cocoa packet."),
      ("A desk organizer", "Keeps pens and sticky notes in one place.")],
     "A short handwritten card makes any of these feel more personal."),
    (["Give me {n} team-building activity ideas for a small office.", "What are {n} team-building ideas that aren't awkward?"], "team-building ideas",
     [("An escape room", "Teams solve puzzles together under time pressure."),
      ("A cooking class", "Working side by side on a meal encourages easy conversation."),
      ("A volunteer day", "Helping a local charity builds connection and does some good."),
      ("A trivia lunch", "Mix people from different departments into teams."),
      ("Walk-and-talk pairs", "Pair up colleagues who don't usually work together for a short walk.")],
     "Ask the team for a quick vote so everyone feels included."),
    (["How can I reduce my screen time? Give me {n} ideas.", "List {n} practical ways to spend less time on my phone."], "ways to reduce screen time",
     [("Set app limits", "Most phones let you cap daily time on specific apps."),
      ("Keep your phone out of the bedroom", "Use a regular alarm clock instead."),
      ("Turn off non-essential notifications", "Fewer pings mean fewer reasons to pick up the phone."),
      ("Create screen-free zones", "For example, no phones at the dinner table."),
      ("Replace the habit", "Keep a book or puzzle where you usually scroll.")],
     "Start with one change and add another once it feels normal."),
    (["I write a gardening blog. Suggest {n} post ideas.", "Give me {n} blog post ideas for a beginner gardening blog."], "blog post ideas for a gardening blog",
     [("A beginner's guide to growing herbs on a windowsill", "Great for readers without a yard."),
      ("Five vegetables that grow well in containers", "Practical for balconies and patios."),
      ("How to start composting in a small space", "Covers bins, what to add and what to avoid."),
      ("What to plant in early spring", "A seasonal post readers will look for every year."),
      ("Lessons from my first year of gardening", "Personal stories build a connection with readers.")],
     "Seasonal posts tend to bring readers back year after year."),
    (["Give me {n} tips for saving water at home.", "What are {n} simple ways to use less water around the house?"], "ways to save water at home",
     [("Fix leaky faucets", "A slow drip wastes a surprising amount of water over a year."),
      ("Take shorter showers", "Cutting a few minutes makes a real difference."),
      ("Run full loads only", "Wait until the dishwasher and washing machine are full."),
      ("Turn off the tap while brushing", "The water doesn't need to run while you brush your teeth."),
      ("Water plants in the morning", "Less water evaporates than in the heat of the day.")],
     "These habits also lower your water bill."),
    (["Give me {n} icebreaker questions for a team meeting.", "I need {n} light icebreaker questions for a workshop."], "icebreaker questions",
     [("What's the best thing you ate this week?", "Easy to answer and often leads to recommendations."),
      ("If you could instantly master one skill, what would it be?", "Reveals interests people don't usually mention at work."),
      ("What's a small thing that always improves your day?", "Positive and quick."),
      ("What was your first job?", "Usually gets a few funny stories."),
      ("Which place would you love to visit, and why?", "Gets people talking about travel and plans.")],
     "Keep answers to about 30 seconds each so the round moves quickly."),
    (["What are {n} photography tips for beginners?", "I just got my first camera. Give me {n} tips."], "photography tips for beginners",
     [("Use the rule of thirds", "Place your subject off-center, along imaginary grid lines."),
      ("Pay attention to light", "Soft morning or late-afternoon light is flattering."),
      ("Get closer", "Filling the frame with your subject removes distractions."),
      ("Keep the horizon level", "A tilted horizon is one of the most common beginner mistakes."),
      ("Take lots of shots", "Then pick the best and learn from the rest.")],
     "Most of all, practice often and have fun with it."),
    (["My apartment is tiny. Give me {n} ways to make it feel bigger.", "What are {n} tricks to make a small room feel more spacious?"], "ways to make a small space feel bigger",
     [("Use mirrors", "They reflect light and make a room feel deeper."),
      ("Choose light colors", "Pale walls and furniture make a space feel more open."),
      ("Pick multi-purpose furniture", "An ottoman with storage or a fold-down desk saves space."),
      ("Go vertical", "Tall shelves use wall space instead of floor space."),
      ("Declutter regularly", "Clear surfaces make a room feel calmer and larger.")],
     "Combining light, mirrors and less clutter has the biggest effect."),
    (["Give me {n} tips for drinking more water during the day.", "I never drink enough water. What are {n} ways to fix that?"], "tips for staying hydrated",
     [("Carry a water bottle", "Having water within reach makes you drink more."),
      ("Drink a glass with each meal", "It builds a simple routine."),
      ("Eat water-rich foods", "Cucumbers, watermelon and oranges all contribute."),
      ("Flavor your water", "Add lemon, mint or cucumber slices if plain water bores you."),
      ("Set reminders", "A phone reminder every couple of hours can help.")],
     "Pale yellow urine is a handy sign that you're drinking enough."),
    (["Suggest {n} healthy snacks I can take to work.", "What are {n} healthy snack ideas?"], "healthy snack ideas",
     [("Apple slices with peanut butter", "Fiber plus protein keeps you full."),
      ("Greek yogurt with berries", "High in protein and naturally sweet."),
      ("Hummus and carrot sticks", "Crunchy, filling and easy to prepare ahead."),
      ("A handful of unsalted nuts", "Healthy fats and protein in a small portion."),
      ("Hard-boiled eggs", "Make a batch at the start of the week.")],
     "Prepping snacks on the weekend makes healthy choices easier during the week."),
    (["Give me {n} tips for packing light.", "What are {n} ways to fit a week of travel into a carry-on?"], "tips for packing light",
     [("Pick a color scheme", "Clothes that match let you mix and match outfits."),
      ("Plan to do laundry", "Pack for about a week, even on longer trips."),
      ("Wear your bulkiest items", "Travel in your heaviest shoes and jacket."),
      ("Use packing cubes", "They keep things organized and compress clothes."),
      ("Skip the \"just in case\" items", "You can usually buy what you forgot at your destination.")],
     "Safe travels!"),
    (["I keep skipping workouts. Give me {n} ways to stay motivated.", "What are {n} tips for sticking with exercise?"], "ways to stay motivated to exercise",
     [("Find an activity you enjoy", "You'll stick with dancing or cycling more easily than something you dread."),
      ("Schedule it", "Put workouts in your calendar like any other appointment."),
      ("Work out with a friend", "Someone waiting for you makes it harder to skip."),
      ("Track your progress", "Seeing improvements in distance or strength is motivating."),
      ("Set small goals", "Aim for three short workouts a week before anything bigger.")],
     "Be patient with yourself; habits take a few weeks to form."),
    (["How can I write better work emails? Give me {n} tips.", "List {n} tips for clearer emails."], "tips for writing clearer emails",
     [("Put the main point first", "Say what you need in the first two sentences."),
      ("Write a specific subject line", "For example, \"Budget draft due Friday\"."),
      ("Keep it short", "If it needs more than a few paragraphs, consider a call."),
      ("Make requests explicit", "State exactly what you need and by when."),
      ("Proofread before sending", "Check names, dates and attachments.")],
     "Clear emails save time for both you and the reader."),
    (["Give me {n} ideas for reducing food waste at home.", "What are {n} ways to throw away less food?"], "ways to reduce food waste",
     [("Check the fridge before shopping", "Avoid buying what you already have."),
      ("Store food properly", "For example, keep herbs in a glass of water and bread in a cool, dry place."),
      ("Freeze extras", "Bread, ripe bananas and cooked meals freeze well."),
      ("Understand date labels", "\"Best before\" is about quality, while \"use by\" is about safety."),
      ("Plan a leftovers night", "Once a week, cook only from what's already open.")],
     "You'll likely save money as well as reduce waste."),
    (["I just got a turtle. Suggest {n} names.", "Give me {n} fun names for a pet turtle."], "names for a pet turtle",
     [("Shelly", "A classic for obvious reasons."),
      ("Sir Crawlsalot", "Funny and a little regal."),
      ("Dash", "Ironic for a famously unhurried pet."),
      ("Mossy", "Fits a turtle that loves the water."),
      ("Tank", "For a sturdy, armored friend.")],
     "Congratulations on your new pet!"),
    (["Suggest {n} themes for a child's birthday party.", "My daughter is turning seven. Give me {n} party theme ideas."], "birthday party themes",
     [("Outer space", "Star decorations, planet cupcakes and a \"moon walk\" game."),
      ("Under the sea", "Blue streamers, fish-shaped snacks and a treasure hunt."),
      ("Backyard camping", "A tent, flashlights and s'mores."),
      ("Art studio", "Aprons, small canvases and paint for every guest."),
      ("Detective mystery", "Guests follow clues to find the birthday cake.")],
     "Let the birthday child pick, and the rest falls into place."),
    (["What are {n} simple ways to practice gratitude?", "Give me {n} gratitude habits I can start this week."], "ways to practice gratitude",
     [("Keep a gratitude journal", "Write down three good things each night."),
      ("Send a thank-you note", "Tell someone specifically how they helped you."),
      ("Notice small things", "Pause to enjoy a good cup of coffee or a sunny walk."),
      ("Share at dinner", "Each person names one good thing about their day."),
      ("Reframe setbacks", "Ask what a difficult situation taught you.")],
     "Even a minute a day can shift your focus toward the positive."),
    (["Give me {n} cheap date ideas.", "What are {n} date ideas that don't cost much?"], "low-cost date ideas",
     [("A picnic in the park", "Pack sandwiches and a blanket."),
      ("Cook a new recipe together", "Pick a cuisine neither of you has tried."),
      ("Go stargazing", "Drive away from city lights on a clear night."),
      ("Visit a museum on a free day", "Many museums offer free entry on certain days."),
      ("Board game night", "Add snacks and a friendly wager.")],
     "The best dates are usually about time together, not money spent."),
    (["Our meetings always run long. Give me {n} ways to make them more efficient.", "What are {n} tips for shorter, better meetings?"], "ways to make meetings more efficient",
     [("Share an agenda in advance", "Everyone arrives knowing the goal."),
      ("Invite only who's needed", "Smaller meetings move faster."),
      ("Start and end on time", "Respecting the schedule builds good habits."),
      ("Assign a note-taker", "Capture decisions and next steps."),
      ("End with action items", "Each task gets an owner and a deadline.")],
     "Try a few of these for a month and ask the team what changed."),
    (["I get very nervous before presentations. Give me {n} tips.", "What are {n} ways to calm public speaking nerves?"], "tips for handling public speaking nerves",
     [("Practice out loud", "Rehearse several times, ideally in front of a friend."),
      ("Know your opening", "A strong first minute builds momentum."),
      ("Breathe slowly", "A few deep breaths before you start calm your body."),
      ("Focus on your message", "Think about helping the audience rather than being judged."),
      ("Accept some nerves", "A little adrenaline can make you sound more energetic.")],
     "You've got this! Most audiences want you to succeed."),
    (["I want to start journaling. Give me {n} tips.", "What are {n} tips for keeping a journal?"], "tips for keeping a journal",
     [("Write at the same time each day", "A morning or bedtime routine makes it stick."),
      ("Start small", "Even three sentences count."),
      ("Use prompts", "Questions like \"What surprised me today?\" help when you're stuck."),
      ("Don't worry about style", "It's for you, not an audience."),
      ("Reread old entries", "It's a good way to notice patterns and progress.")],
     "Happy writing!"),
    (["I'm going camping for the first time. Give me {n} tips.", "What are {n} tips for a first camping trip?"], "tips for a first camping trip",
     [("Practice pitching your tent at home", "You don't want to learn in the dark."),
      ("Check the weather", "Pack layers and rain gear even if the forecast looks good."),
      ("Bring a headlamp", "It keeps your hands free."),
      ("Plan simple meals", "One-pot dishes and pre-chopped ingredients make cooking easier."),
      ("Leave no trace", "Pack out all your trash and leave the site as you found it.")],
     "Enjoy the trip!"),
    (["My closet is a mess. Give me {n} tips for organizing it.", "What are {n} steps to organize a cluttered closet?"], "tips for organizing a closet",
     [("Empty it completely", "It's easier to decide what stays when you can see everything."),
      ("Sort into keep, donate and discard piles", "Be honest about what you actually wear."),
      ("Group similar items", "Keep shirts with shirts and pants with pants."),
      ("Use matching slim hangers", "They save space and look tidier."),
      ("Store off-season clothes elsewhere", "Bins under the bed free up closet space.")],
     "Set aside an afternoon and put on some music."),
    (["I want to learn to cook. Give me {n} tips for beginners.", "What are {n} tips for someone learning to cook?"], "tips for learning to cook",
     [("Start with a few basic recipes", "Master scrambled eggs, a simple pasta and a stir-fry."),
      ("Learn basic knife skills", "Chopping efficiently makes every recipe faster."),
      ("Read the whole recipe first", "Avoid surprises halfway through."),
      ("Taste as you go", "Adjust salt and acidity before serving."),
      ("Cook the same dish more than once", "Repetition builds confidence.")],
     "Enjoy the learning process, and don't worry about the occasional burnt dinner."),
    (["How can I get my kids to read more? Give me {n} ideas.", "Suggest {n} ways to encourage children to read."], "ways to encourage kids to read",
     [("Let them choose", "Comics and magazines count."),
      ("Read together", "Take turns reading pages aloud."),
      ("Visit the library regularly", "Make it a weekly outing."),
      ("Be a reading role model", "Let them see you reading for fun."),
      ("Connect books to their interests", "A child who loves dinosaurs will dive into dinosaur books.")],
     "The goal is to make reading feel like a treat, not a chore."),
    (["Give me {n} ways to lower my electricity bill.", "What are {n} tips for using less energy at home?"], "ways to lower your energy bill",
     [("Switch to LED bulbs", "They use much less electricity than old incandescent bulbs."),
      ("Seal drafts", "Weather-strip doors and windows."),
      ("Adjust the thermostat", "A degree or two lower in winter adds up."),
      ("Unplug idle electronics", "Some devices draw power even when switched off."),
      ("Wash clothes in cold water", "Heating water is a large share of a washing machine's energy use.")],
     "Your energy provider may also offer a free home energy check."),
    (["I'm terrible with names. Give me {n} tips for remembering them.", "What are {n} tricks for remembering people's names?"], "tips for remembering names",
     [("Repeat it right away", "\"Nice to meet you, Jordan.\""),
      ("Make an association", "Link the name to something memorable about the person."),
      ("Use it in conversation", "Saying it once or twice more helps it stick."),
      ("Write it down later", "Jot a quick note after meeting new people."),
      ("Ask again if you forget", "It's better than avoiding the person.")],
     "With practice, it gets much easier."),
    (["Give me {n} tips for decluttering my home.", "Where do I start with decluttering? Give me {n} tips."], "decluttering tips",
     [("Start with one drawer", "Small wins build momentum."),
      ("Use the one-year rule", "If you haven't used something in a year, consider letting it go."),
      ("Set a timer", "Fifteen minutes a day is manageable."),
      ("Keep a donation box handy", "Make it easy to give things away."),
      ("Follow \"one in, one out\"", "When something new comes in, something old goes.")],
     "Progress matters more than perfection."),
    (["Suggest {n} hobbies I could pick up this year.", "I'm bored in the evenings. Give me {n} hobby ideas."], "hobby ideas",
     [("Sketching", "All you need is a pencil and paper."),
      ("Bird watching", "Get a field guide and visit a local park."),
      ("Baking bread", "Satisfying, and the results are delicious."),
      ("Learning an instrument", "A ukulele is a friendly place to start."),
      ("Hiking", "Explore local trails and get some exercise.")],
     "Try one for a few weeks before investing in a lot of gear."),
    (["I have a 12-hour flight coming up. Give me {n} tips to make it more comfortable.", "What are {n} tips for surviving a long-haul flight?"], "tips for a more comfortable long flight",
     [("Choose your seat carefully", "An aisle seat makes it easier to get up and stretch."),
      ("Bring layers", "Cabin temperatures vary."),
      ("Stay hydrated", "Cabin air is dry, so drink water regularly."),
      ("Pack a neck pillow and earplugs", "They make sleeping easier."),
      ("Move around", "Walk the aisle and stretch every hour or two.")],
     "Have a great trip!"),
    (["A new person joins my team on Monday. Give me {n} ways to welcome them.", "What are {n} ways to help a new team member settle in?"], "ways to welcome a new team member",
     [("Prepare their setup", "Have their laptop and accounts ready on day one."),
      ("Assign a buddy", "Someone they can ask small questions without hesitation."),
      ("Share a first-week plan", "Clear goals reduce first-day nerves."),
      ("Introduce them to the team", "A short welcome message or a team lunch helps."),
      ("Check in regularly", "Have a quick chat at the end of the first week and first month.")],
     "A good first week makes a lasting impression."),
]

NUM_WORDS = {3: "three", 4: "four", 5: "five"}


def gen_brainstorm(count):
    out = []
    for prompts, about, items_, closing in BRAINSTORMS:
        k = rng.choice([3, 3, 4, 5])
        q = rng.choice(prompts).format(n=NUM_WORDS[k])
        claim(q)
        chosen = items_[:k] if rng.random() < 0.5 else rng.sample(items_, k)
        if rng.random() < 0.3:
            human = numbered(f"{a} — {b[0].lower() + b[1:]}" if not b.startswith("\"") else f"{a} — {b}" for a, b in chosen)
        else:
            human = numbered(a for a, _ in chosen)
        synth = (opener() + f"Here are {NUM_WORDS[k]} {about}:\n\n"
                 + numbered(f"**{a}** — {b}" for a, b in chosen) + "\n\n" + closing)
        out.append(item("brainstorming", q, human, synth, None))
    return out[:count]


# --------------------------------------------------------------------------
# 13. How-to steps and simple recipes
# --------------------------------------------------------------------------

# (prompts, intro, needs or None, steps (short, detail or ""), tip or None)
HOWTOS = [
    (["How do I hard-boil eggs?", "What's the easiest way to make hard-boiled eggs?"],
     "Here's a reliable method for hard-boiled eggs.",
     ["Eggs", "A saucepan with a lid", "A bowl of ice water"],
     [("Put the eggs in a saucepan and cover them with cold water by about 2–3 cm", ""),
      ("Bring the water to a boil over medium-high heat", ""),
      ("Turn off the heat, cover the pan and let the eggs sit for 10–12 minutes", "Ten minutes gives a slightly softer yolk."),
      ("Move the eggs to the ice water for a few minutes", "This stops the cooking and makes them easier to peel."),
      ("Tap, roll and peel", "Starting at the wider end, where the air pocket is, usually helps.")],
     "Eggs that are a week or two old tend to peel more easily than very fresh ones."),
    (["How do I make a proper cup of black tea?", "What's the right way to brew a cup of tea with a tea bag?"],
     "Here's how to brew a good cup of black tea.",
     ["A black tea bag (or 1 teaspoon of loose tea)", "Freshly boiled water", "A mug", "Milk, sugar or lemon, if you like"],
     [("Boil fresh water", "Water that has been boiled several times can taste flat."),
      ("Warm the mug with a splash of hot water, then pour it out", "This keeps the tea hotter."),
      ("Put the tea bag in the mug and pour the water over it", ""),
      ("Steep for 3–5 minutes", "Longer gives a stronger, more bitter cup."),
      ("Remove the bag and add milk, sugar or lemon to taste", "")],
     "Green tea is different: use water that has cooled a little, around 80°C, and steep for only 2–3 minutes."),
    (["How do I cook white rice on the stove?", "What's a simple stovetop method for fluffy long-grain rice?"],
     "This method works well for long-grain white rice.",
     ["1 cup of long-grain white rice", "About 1½ cups of water (check the package)", "A pot with a tight-fitting lid", "A pinch of salt"],
     [("Rinse the rice in a sieve until the water runs mostly clear", "This removes surface starch that makes rice sticky."),
      ("Add the rice, water and salt to the pot and bring to a boil", ""),
      ("Turn the heat to the lowest setting, cover, and cook for 15–18 minutes", "Don't lift the lid while it cooks."),
      ("Take the pot off the heat and let it rest, covered, for 5–10 minutes", ""),
      ("Fluff the rice with a fork and serve", "")],
     "Brown rice needs more water and about 40–45 minutes of cooking."),
    (["How do I make pancakes from scratch?", "Can you give me a simple pancake recipe?"],
     "Here's a simple recipe that makes about 8 medium pancakes.",
     ["1 cup (125 g) all-purpose flour", "1 tablespoon sugar", "2 teaspoons baking powder", "A pinch of salt",
      "1 cup (240 ml) milk", "1 egg", "2 tablespoons melted butter, plus a little for the pan"],
     [("Whisk the flour, sugar, baking powder and salt in a bowl", ""),
      ("In another bowl, whisk the milk, egg and melted butter", ""),
      ("Pour the wet ingredients into the dry ones and stir until just combined", "A few lumps are fine; overmixing makes pancakes tough."),
      ("Heat a lightly buttered pan over medium heat and pour in about ¼ cup of batter per pancake", ""),
      ("Flip when bubbles form on the surface and the edges look set", "This usually takes about 2 minutes."),
      ("Cook the second side for another 1–2 minutes until golden", "")],
     "Keep finished pancakes warm in a low oven while you cook the rest."),
    (["How do I fix a flat bike tire?", "My bike has a flat. How do I replace the inner tube?"],
     "Here's how to replace the inner tube on a typical bike wheel.",
     ["Tire levers", "A new inner tube (or a patch kit)", "A pump that fits your valve type"],
     [("Remove the wheel from the bike", "Open the brake or quick-release first if needed."),
      ("Let out any remaining air and use the tire levers to lift one side of the tire off the rim", ""),
      ("Pull out the old tube", ""),
      ("Carefully run your fingers around the inside of the tire to find and remove whatever caused the flat", "Otherwise the new tube may puncture right away."),
      ("Put a little air in the new tube, push the valve through the rim hole and tuck the tube inside the tire", ""),
      ("Work the tire back onto the rim by hand, making sure the tube isn't pinched", ""),
      ("Inflate to the pressure printed on the tire's sidewall and refit the wheel", "")],
     "Carry a spare tube and levers on longer rides so you can fix a flat on the road."),
    (["How do I create and use a Python virtual environment?", "I'm on Python 3.11. How do I set up a venv for a project?"],
     "A virtual environment keeps a project's packages separate from the rest of your system.",
     None,
     [("Open a terminal in your project folder", ""),
      ("Create the environment with `python3 -m venv .venv`", "You can name a specific interpreter, such as `python3.11 -m venv .venv`."),
      ("Activate it", "On macOS or Linux run `source .venv/bin/activate`; on Windows run `.venv\\Scripts\\activate`."),
      ("Install packages with `pip install <package>`", "They go into `.venv` only."),
      ("Run `deactivate` when you're done", "")],
     "Add `.venv/` to your `.gitignore` and record dependencies in a `requirements.txt` file instead."),
    (["How do I clean my laptop keyboard?", "What's a safe way to clean a dirty laptop keyboard?"],
     "Here's a safe way to clean a laptop keyboard.",
     ["A can of compressed air", "A microfiber cloth", "Isopropyl alcohol (optional)"],
     [("Shut the laptop down and unplug it", ""),
      ("Turn it upside down and tap gently to shake out loose crumbs", ""),
      ("Blow compressed air between the keys at an angle", "Use short bursts and keep the can upright."),
      ("Wipe the keys with a cloth lightly dampened with isopropyl alcohol", "The cloth should be damp, never dripping."),
      ("Let everything dry completely before turning it back on", "")],
     "Never spray liquid directly onto the keyboard."),
    (["How do I make coffee with a French press?", "What's the best way to brew French press coffee?"],
     "Here's how to brew about two mugs of French press coffee.",
     ["About 30 g (roughly 4 tablespoons) of coarsely ground coffee", "About 500 ml of water just off the boil", "A French press"],
     [("Heat the water and let it sit for about 30 seconds after boiling", ""),
      ("Add the coffee grounds to the press", "Use a coarse grind; fine grounds slip through the filter."),
      ("Pour in the water, stir gently and put the lid on with the plunger up", ""),
      ("Let it steep for about 4 minutes", ""),
      ("Press the plunger down slowly and steadily, then serve right away", "Coffee left sitting on the grounds turns bitter.")],
     "Adjust the amount of coffee or steeping time to make it stronger or milder."),
    (["How do I hand-wash a wool sweater?", "What's the right way to wash wool by hand so it doesn't shrink?"],
     "Wool shrinks with heat and agitation, so gentle handling is the key.",
     ["A basin or clean sink", "Wool wash or a mild detergent", "A large towel"],
     [("Fill the basin with cool or lukewarm water and add a small amount of wool wash", ""),
      ("Submerge the sweater and gently squeeze the water through it", "Don't rub, twist or wring it."),
      ("Let it soak for about 10 minutes", ""),
      ("Rinse in clean water of the same temperature", "Sudden temperature changes can cause felting."),
      ("Press out the water, roll the sweater in a towel, then lay it flat to dry and reshape it", "")],
     "Never hang a wet wool sweater; the weight of the water stretches it."),
    (["How do I make a simple vinaigrette?", "Give me a basic salad dressing recipe."],
     "A basic vinaigrette takes two minutes.",
     ["3 tablespoons olive oil", "1 tablespoon vinegar or lemon juice", "1 teaspoon Dijon mustard", "Salt and pepper"],
     [("Put everything in a small jar", ""),
      ("Close the lid and shake until the dressing looks creamy", "The mustard helps the oil and vinegar stay mixed."),
      ("Taste and adjust", "Add more oil if it's too sharp, or more vinegar if it's flat.")],
     "It keeps in the fridge for about a week; shake again before using."),
    (["How do I make guacamole?", "What's a quick guacamole recipe?"],
     "Here's a simple, fresh guacamole.",
     ["2 ripe avocados", "Juice of 1 lime", "Salt", "2 tablespoons finely chopped onion", "A small handful of chopped cilantro", "1 small tomato, diced (optional)"],
     [("Halve the avocados, remove the pits and scoop the flesh into a bowl", ""),
      ("Mash with a fork, leaving it as chunky or smooth as you like", ""),
      ("Stir in the lime juice and a good pinch of salt", ""),
      ("Fold in the onion, cilantro and tomato", ""),
      ("Taste and adjust the salt and lime", "")],
     "To keep it green, press plastic wrap directly onto the surface before refrigerating."),
    (["How do I make soft scrambled eggs?", "What's the trick to creamy scrambled eggs?"],
     "The trick to creamy scrambled eggs is low heat and patience.",
     ["3 eggs", "A pinch of salt", "1 teaspoon butter", "A non-stick pan and a spatula"],
     [("Whisk the eggs with the salt until fully combined", ""),
      ("Melt the butter in the pan over medium-low heat", ""),
      ("Pour in the eggs and let them sit for a few seconds", ""),
      ("Gently push the eggs from the edges toward the center, forming soft curds", ""),
      ("Take the pan off the heat while the eggs still look slightly glossy", "They keep cooking from the pan's heat.")],
     "Add chives or a little grated cheese right at the end."),
    (["How do I create a new branch in git and push it?", "What are the git commands to start a feature branch and share it?"],
     "Here's the usual workflow for a new branch.",
     None,
     [("Create and switch to the branch: `git switch -c feature/login-form`", "On older git versions, use `git checkout -b feature/login-form`."),
      ("Make your changes, then stage them with `git add <files>`", ""),
      ("Commit with `git commit -m \"Add login form\"`", ""),
      ("Push and set the upstream: `git push -u origin feature/login-form`", "After that, a plain `git push` is enough.")],
     "Run `git status` often; it tells you which branch you're on and what's staged."),
    (["How do I fold a classic paper airplane?", "Can you walk me through making a simple paper airplane?"],
     "Here's the classic dart design.",
     ["A sheet of printer paper"],
     [("Fold the paper in half lengthwise, crease it and unfold it", ""),
      ("Fold the two top corners in so they meet at the center crease", ""),
      ("Fold the new slanted edges in to the center crease again", ""),
      ("Fold the plane in half along the original crease, with the folds on the outside", ""),
      ("Fold each wing down so its top edge lines up with the bottom of the body", ""),
      ("Hold it underneath and throw it gently forward and slightly upward", "")],
     "If it dives, bend the back edges of the wings up slightly."),
    (["How do I fold a fitted sheet?", "Is there a trick to folding a fitted sheet neatly?"],
     "The trick is to tuck the corners into each other.",
     None,
     [("Hold the sheet inside out by two corners along one short edge", ""),
      ("Tuck one corner into the other so they nest together", ""),
      ("Do the same with the other two corners", ""),
      ("Bring the two nested pairs together so all four corners are stacked", ""),
      ("Lay the sheet flat, fold the elastic edges in to make a rectangle, then fold it into a neat square", "")],
     "It takes a couple of tries, but it gets much faster with practice."),
    (["How do I change a light bulb safely?", "What's the safe way to replace a burnt-out light bulb?"],
     "Changing a bulb is easy; the main thing is to make sure the power is off.",
     None,
     [("Switch off the light and let the bulb cool for a few minutes", ""),
      ("Unscrew the old bulb counterclockwise", "Bayonet bulbs are pushed in gently and twisted instead."),
      ("Check the fitting type and maximum wattage printed on the fixture", ""),
      ("Screw in the new bulb clockwise until snug, without overtightening", ""),
      ("Switch the light back on to test it", "")],
     "Use a stable step stool rather than a chair for ceiling fixtures."),
    (["How do I set up a monthly budget?", "I've never made a budget. Where do I start?"],
     "A simple monthly budget takes an hour or so to set up.",
     None,
     [("Write down your monthly take-home income", ""),
      ("List fixed expenses such as rent, utilities and loan payments", ""),
      ("Track your variable spending (groceries, transport, eating out) for a month", "Bank statements make this easier."),
      ("Set a limit for each category, and put savings in as a fixed line", "Paying yourself first makes saving automatic."),
      ("Review at the end of each month and adjust", "")],
     "A spreadsheet works fine; you don't need special software."),
    (["How do I make overnight oats?", "What's a basic overnight oats recipe?"],
     "Overnight oats take five minutes the night before.",
     ["½ cup rolled oats", "½ cup milk (any kind)", "¼ cup yogurt", "1 teaspoon honey or maple syrup", "Fruit or nuts for topping"],
     [("Stir the oats, milk, yogurt and sweetener together in a jar", ""),
      ("Cover and refrigerate for at least 4 hours, or overnight", ""),
      ("In the morning, stir, add a splash of milk if it's too thick, and top with fruit or nuts", "")],
     "They keep for about two days in the fridge, so you can make a couple at once."),
    (["How do I start a compost bin?", "What's the easiest way to start composting in my backyard?"],
     "Composting just needs the right mix of materials, moisture and air.",
     None,
     [("Choose a level, partly shaded spot for your bin", ""),
      ("Add a mix of \"greens\" (fruit and vegetable scraps, coffee grounds, grass clippings) and \"browns\" (dry leaves, cardboard, straw)", "Aim for more browns than greens by volume."),
      ("Keep it about as damp as a wrung-out sponge", ""),
      ("Turn or stir it every week or two to let air in", ""),
      ("Leave out meat, dairy and oily food", "They smell and attract pests.")],
     "The compost is ready when it's dark and crumbly and smells earthy, usually after a few months."),
    (["How do I take care of a cast-iron pan?", "What's the right way to clean and maintain cast iron?"],
     "Cast iron lasts for generations if you keep it dry and lightly oiled.",
     None,
     [("Clean it while it's still warm with hot water and a brush", "A little dish soap is fine."),
      ("Dry it thoroughly, then warm it on the stove for a minute to drive off remaining moisture", ""),
      ("Rub in a very thin layer of cooking oil with a paper towel", ""),
      ("Store it in a dry place", "")],
     "Avoid soaking it or putting it in the dishwasher, which causes rust."),
    (["How do I make popcorn on the stove?", "What's the best way to pop popcorn in a pot?"],
     "Stovetop popcorn is quick and better than most microwave bags.",
     ["3 tablespoons oil with a high smoke point", "⅓ cup popcorn kernels", "A large pot with a lid", "Salt or other seasoning"],
     [("Heat the oil in the pot over medium-high heat with 3 kernels inside", ""),
      ("When those kernels pop, add the rest in an even layer and cover", ""),
      ("Take the pot off the heat for 30 seconds", "This helps the kernels heat evenly so more of them pop."),
      ("Return it to the heat and shake gently now and then, with the lid slightly ajar to let steam out", ""),
      ("Remove from the heat when the pops slow to 2–3 seconds apart, then season", "")],
     "Pour it into a bowl right away so the bottom layer doesn't burn."),
    (["How do I make a grilled cheese sandwich?", "What's the secret to a good grilled cheese?"],
     "The secret is medium-low heat so the cheese melts before the bread burns.",
     ["2 slices of bread", "Butter", "Sliced or grated cheese"],
     [("Butter one side of each slice of bread", ""),
      ("Place one slice butter-side down in a pan, add the cheese, and top with the other slice, butter-side up", ""),
      ("Cook over medium-low heat for 2–4 minutes until golden", "Covering the pan helps the cheese melt."),
      ("Flip and cook the other side until golden and the cheese is melted", "")],
     "Let it rest for a minute before cutting so the cheese doesn't all run out."),
    (["How do I make a simple tomato sauce for pasta?", "Give me an easy tomato pasta sauce recipe."],
     "Here's a quick sauce for about four servings of pasta.",
     ["2 tablespoons olive oil", "2 cloves garlic, sliced", "1 can (400 g) crushed tomatoes", "Salt", "A few basil leaves"],
     [("Warm the olive oil in a saucepan over medium heat and cook the garlic for about a minute", "Don't let it brown."),
      ("Add the tomatoes and a pinch of salt", ""),
      ("Simmer for 15–20 minutes, stirring now and then, until slightly thickened", ""),
      ("Tear in the basil, taste and adjust the salt", ""),
      ("Toss with cooked pasta and a splash of the pasta water", "")],
     "A pinch of chili flakes with the garlic adds gentle heat."),
    (["How do I roast vegetables in the oven?", "What temperature and time should I use for roasted vegetables?"],
     "Roasting brings out the natural sweetness of vegetables.",
     ["Vegetables such as carrots, potatoes, broccoli or peppers", "Olive oil", "Salt and pepper", "A baking tray"],
     [("Preheat the oven to 220°C (425°F)", ""),
      ("Cut the vegetables into similar-sized pieces", "Even pieces cook evenly."),
      ("Toss with oil, salt and pepper", ""),
      ("Spread them in a single layer on the tray", "Crowding makes them steam instead of brown."),
      ("Roast for 25–40 minutes, turning halfway, until browned and tender", "Root vegetables take longer than broccoli or peppers.")],
     "Finish with a squeeze of lemon or some fresh herbs."),
    (["How do I repot a houseplant?", "My plant has outgrown its pot. How do I move it to a bigger one?"],
     "Repotting gives the roots fresh soil and room to grow.",
     ["A pot 2–5 cm wider than the current one, with drainage holes", "Fresh potting mix"],
     [("Water the plant a day before repotting", "Moist roots slide out more easily."),
      ("Tip the pot sideways and ease the plant out, supporting the base of the stems", ""),
      ("Gently loosen circling roots with your fingers", ""),
      ("Add potting mix to the new pot, set the plant at the same depth as before and fill in around it", ""),
      ("Water well and keep it out of harsh direct sun for a few days", "")],
     "Spring, when plants start actively growing, is usually the best time to repot."),
    (["How do I remove a splinter?", "What's the best way to get a splinter out of my finger?"],
     "Most small splinters can be removed at home.",
     ["Tweezers", "Rubbing alcohol", "Soap and water", "A bandage"],
     [("Wash your hands and the area around the splinter with soap and water", ""),
      ("Clean the tweezers with rubbing alcohol", ""),
      ("Grip the exposed end and pull it out at the same angle it went in", ""),
      ("Wash the area again and cover it with a bandage", "")],
     "See a doctor if the splinter is deep, near your eye, won't come out, or the area shows signs of infection such as increasing redness, swelling or pus."),
    (["How do I clean a microwave with a lemon?", "Is there an easy way to clean a dirty microwave?"],
     "Steam does most of the work here.",
     ["A microwave-safe bowl", "About a cup of water", "1 lemon", "A cloth or sponge"],
     [("Squeeze the lemon into the bowl of water and drop the halves in", ""),
      ("Microwave on high for 3–5 minutes, until the water is steaming and the window fogs up", ""),
      ("Leave the door closed for 5 minutes so the steam loosens the grime", ""),
      ("Carefully remove the bowl, which will be hot, and wipe the inside clean", ""),
      ("Take out the turntable and wash it in the sink", "")],
     "White vinegar works in place of the lemon if you don't have one."),
    (["How do I hang a picture frame on the wall?", "What's the right way to hang a heavy picture so it's level?"],
     "Here's how to hang a frame securely and at a comfortable height.",
     ["A pencil", "A tape measure", "A level", "Picture hooks or screws and wall anchors rated for the weight"],
     [("Decide on the height", "A common guideline is to place the center of the picture about 145–152 cm (57–60 inches) from the floor."),
      ("Measure where the hanging wire or hook on the frame will sit and mark that spot on the wall", ""),
      ("For heavier frames, find a stud or use anchors rated for the weight", ""),
      ("Install the hook or screw at the mark", ""),
      ("Hang the frame and adjust it with the level", "")],
     "For two hooks, measure their spacing on the frame and use the level to mark both points on the wall."),
    (["How do I make lemonade from scratch?", "Give me a homemade lemonade recipe."],
     "This makes about 6 servings.",
     ["1 cup (240 ml) fresh lemon juice (about 5–6 lemons)", "¾ to 1 cup sugar", "1 cup hot water", "4 cups cold water", "Ice"],
     [("Stir the sugar into the hot water until it dissolves to make a simple syrup", ""),
      ("Combine the lemon juice, syrup and cold water in a pitcher", ""),
      ("Taste and adjust", "Add more water if it's too tart, or a little more syrup if it's too sour."),
      ("Chill and serve over ice", "")],
     "Roll the lemons firmly on the counter before cutting to get more juice out of them."),
    (["How do I make hummus at home?", "What's a simple homemade hummus recipe?"],
     "Homemade hummus takes about five minutes with a food processor.",
     ["1 can (400 g) chickpeas, drained (keep the liquid)", "3 tablespoons tahini", "Juice of 1 lemon", "1 small garlic clove", "Salt", "Olive oil"],
     [("Blend the chickpeas, tahini, lemon juice, garlic and a pinch of salt", ""),
      ("With the machine running, add 2–4 tablespoons of cold water or chickpea liquid until it's smooth", ""),
      ("Taste and adjust the salt and lemon", ""),
      ("Serve with a drizzle of olive oil", "")],
     "For an extra-smooth texture, blend for a full two to three minutes."),
    (["How do I jump-start a car?", "My car battery is dead. How do I use jumper cables?"],
     "Here's the standard safe order for connecting jumper cables. Always check your owner's manual, as some cars have specific jump points.",
     ["Jumper cables", "A second car with a working battery"],
     [("Park the cars close together, turn both off and open the hoods", ""),
      ("Connect one red clamp to the dead battery's positive (+) terminal", ""),
      ("Connect the other red clamp to the good battery's positive (+) terminal", ""),
      ("Connect one black clamp to the good battery's negative (−) terminal", ""),
      ("Connect the last black clamp to an unpainted metal part of the dead car's engine block, away from the battery", ""),
      ("Start the working car, wait a few minutes, then start the dead car", ""),
      ("Remove the cables in the reverse order", "")],
     "Drive for at least 20–30 minutes afterward so the battery can recharge, and have it tested if it keeps dying."),
    (["How do I make cold-brew iced tea?", "What's an easy way to make iced tea without boiling water?"],
     "Cold brewing gives smooth, less bitter iced tea.",
     ["4–6 tea bags", "1 liter of cold water", "A pitcher"],
     [("Put the tea bags in the pitcher and add the cold water", ""),
      ("Cover and refrigerate for 6–12 hours", ""),
      ("Remove the tea bags and serve over ice", "Add lemon or a little sweetener if you like.")],
     "It keeps in the fridge for a few days."),
    (["How do I turn on two-factor authentication for my accounts?", "What are the general steps to set up 2FA with an authenticator app?"],
     "Most services follow the same pattern for two-factor authentication (2FA).",
     ["An authenticator app on your phone"],
     [("Open the account's security settings and find two-factor or two-step verification", ""),
      ("Choose the authenticator app option", "It's generally more secure than text-message codes."),
      ("Scan the QR code shown on screen with the app", ""),
      ("Enter the six-digit code from the app to confirm", ""),
      ("Save the backup codes somewhere safe", "You'll need them if you lose your phone.")],
     "Start with your email account, since it can be used to reset most of your other passwords."),
    (["How should I clean a wooden cutting board?", "What's the right way to care for a wooden chopping board?"],
     "Wooden boards last for years with a little care.",
     None,
     [("Scrape off food scraps", ""),
      ("Wash with hot, soapy water and a brush or sponge", ""),
      ("Rinse and dry it with a towel, then let it air-dry standing on its edge", ""),
      ("Every few weeks, rub in a thin coat of food-safe mineral oil", "This keeps the wood from drying out and cracking.")],
     "Don't soak it or put it in the dishwasher; that can warp and split the wood."),
    (["What's the safest way to thaw frozen chicken?", "How do I defrost chicken safely?"],
     "Safe thawing keeps the chicken out of the temperature range where bacteria grow quickly.",
     None,
     [("Best option: thaw it in the refrigerator", "Allow roughly a day for every 2 kg, or every 4–5 lb."),
      ("Faster option: seal it in a leak-proof bag and submerge it in cold water", "Change the water every 30 minutes; small packages can thaw in about an hour."),
      ("Quickest option: use the microwave's defrost setting", "Cook it immediately afterward."),
      ("Never thaw chicken on the counter at room temperature", "")],
     "Chicken thawed in cold water or the microwave should be cooked right away."),
    (["How do I sharpen a kitchen knife with a whetstone?", "Can you explain how to use a sharpening stone?"],
     "A whetstone gives a sharper edge than most pull-through sharpeners.",
     ["A whetstone (a combination stone with a coarse and a fine side is ideal)", "Water or honing oil, depending on the stone", "A towel"],
     [("Prepare the stone according to its type", "Many water stones are soaked for about 10 minutes; oil stones use a few drops of oil."),
      ("Place it coarse side up on a damp towel so it doesn't slide", ""),
      ("Hold the blade at about 15–20 degrees to the stone", ""),
      ("Sweep the edge across the stone from heel to tip in smooth strokes, about 10 per side", ""),
      ("Repeat on the fine side to polish the edge, then rinse and dry the knife", "")],
     "Keep the angle consistent; that matters more than the exact number of strokes."),
    (["How do I make a fruit smoothie?", "What's a basic smoothie recipe?"],
     "Here's a basic smoothie for one large or two small glasses.",
     ["1 banana", "1 cup frozen berries", "1 cup milk or yogurt", "1 teaspoon honey (optional)"],
     [("Pour the milk or yogurt into the blender first", "Liquid at the bottom helps it blend."),
      ("Add the banana, berries and honey", ""),
      ("Blend until smooth, about 30–60 seconds", ""),
      ("Add a splash more liquid if it's too thick, then serve", "")],
     "A handful of spinach adds nutrients without changing the taste much."),
    (["How do I plant tulip bulbs?", "When and how should I plant tulips?"],
     "Tulips are planted in autumn to bloom in spring.",
     ["Tulip bulbs", "A trowel", "Compost (optional)"],
     [("Plant in autumn, several weeks before the ground freezes", ""),
      ("Pick a spot with good drainage and plenty of sun", ""),
      ("Dig holes about three times as deep as the bulb is tall, usually 15–20 cm", ""),
      ("Set each bulb pointy end up, about 10–15 cm apart", ""),
      ("Cover with soil and water well", "")],
     "Planting in groups of ten or more gives a fuller display than single rows."),
]


HOWTOS.append(
    (["How do I plan a week of healthy dinners on a budget?", "Can you walk me through meal planning for a week of cheap, healthy dinners?"],
     "Planning ahead is the single best way to eat well for less. Here's a simple weekly routine.",
     None,
     [("Check what you already have", "Look through the fridge, freezer and cupboards first, and plan one or two meals around food that needs using up."),
      ("Pick five or six dinners, not seven", "Leave a night for leftovers or something simple like eggs on toast; plans with no slack tend to fall apart."),
      ("Build each meal from a few cheap staples", "Rice, pasta, oats, potatoes, dried or canned beans and lentils, eggs and frozen vegetables are filling, nutritious and inexpensive."),
      ("Reuse ingredients across meals", "For example, a bag of spinach can go into a pasta on Monday and an omelette on Wednesday, so nothing goes to waste."),
      ("Write a shopping list organized by store section", "Buy only what's on it, and compare unit prices rather than package prices."),
      ("Prep a little on the weekend", "Wash and chop vegetables, cook a pot of grains or beans, and make one sauce you can use twice."),
      ("Review at the end of the week", "Note which meals everyone liked and what was thrown away, then adjust next week's plan.")],
     "Keep a running list of ten or so go-to meals; after a few weeks, planning takes only ten minutes."))


def gen_howto(count):
    out = []
    for prompts, intro, needs, steps, tip in HOWTOS:
        q = rng.choice(prompts)
        claim(q)
        hsteps = numbered(a + (f" ({b[0].lower() + b[1:].rstrip('.')})" if re.search(r"\d|`", b) else "") + "." for a, b in steps)
        human = hsteps
        quantities = needs and any(x[0].isdigit() or x[0] in "½¼¾⅓" for x in needs)
        if needs and (quantities or rng.random() < 0.4):
            low = [x if (x[0].isdigit() or x[1:2].isupper()) else x[0].lower() + x[1:] for x in needs]
            human = "You'll need: " + "; ".join(low) + ".\n\n" + hsteps
        synth = opener() + intro + "\n\n"
        if needs:
            synth += "**You'll need:**\n" + bullets(needs) + "\n\n"
        synth += "**Steps:**\n" + numbered(f"{a}." + (f" {b}" if b else "") for a, b in steps)
        if tip:
            synth += "\n\n**Tip:** " + tip
        synth += closer()
        out.append(item("how_to", q, human, synth, None))
    return out[:count]


# --------------------------------------------------------------------------
# 14. Email and letter drafting. Every detail used in an email comes from the
#     prompt, so no placeholders are needed.
# --------------------------------------------------------------------------

def E(p, to, frm, formal, subj, core, extra, close, fol=None):
    return dict(p=p, to=to, frm=frm, formal=formal, subj=subj, core=core, extra=extra, close=close, fol=fol)


EMAILS = [
    E("Write a short email to my manager, Daniel, asking for Friday, May 10 off to attend my sister's graduation. My name is Aisha.",
      "Daniel", "Aisha", False, "Day off request: Friday, May 10",
      "I'd like to request Friday, May 10 off to attend my sister's graduation. My current work is on track, and I'll make sure anything urgent is wrapped up before then.",
      "I'm also happy to brief a teammate on anything that might come up while I'm out.",
      "Please let me know if that works.",
      ("Can you also mention that I'll be reachable by phone if something urgent comes up?", "If anything urgent comes up, I'll be reachable by phone.")),
    E("Draft a thank-you email to Ms. Patel after my interview yesterday for the data analyst position. We talked a lot about their new customer dashboard project. I'm Kenji.",
      "Ms. Patel", "Kenji", True, "Thank you for yesterday's interview",
      "Thank you for meeting with me yesterday about the data analyst position. I especially enjoyed hearing about the new customer dashboard project, and I'd be excited to contribute to it.",
      "Our conversation made me even more enthusiastic about the role and the team.",
      "Please let me know if there is any further information I can provide."),
    E("Write an email to customer support. I ordered a floor lamp on March 3 (order #58213) and it still hasn't arrived. Ask for an update. My name is Grace Lee.",
      "Customer Support Team", "Grace Lee", True, "Order #58213 has not arrived",
      "I placed order #58213 for a floor lamp on March 3, and it still hasn't arrived. Could you please tell me the current status of the order and when I can expect delivery?",
      "If the package has been lost in transit, I would appreciate a replacement or a refund.",
      "Thank you for your help.",
      ("Please add that the tracking page hasn't updated in over a week.", "The tracking page for this order hasn't updated in over a week.")),
    E("Help me politely decline a meeting invitation from Laura for Thursday at 3 p.m. because I have a client call then. Offer Friday morning instead. I'm Omar.",
      "Laura", "Omar", False, "Re: Thursday 3 p.m. meeting",
      "Thanks for the invitation. Unfortunately I have a client call on Thursday at 3 p.m., so I can't make it. Would Friday morning work for you instead?",
      "I'm flexible on the exact time, so feel free to pick whatever slot suits you best.",
      "Looking forward to catching up."),
    E("Write an email to my dentist's office to reschedule my appointment on June 12 at 9:30 a.m. I can do any afternoon the following week. Name: Lucas Moreau.",
      "Sir or Madam", "Lucas Moreau", True, "Rescheduling my June 12 appointment",
      "I have an appointment on June 12 at 9:30 a.m., and I need to reschedule it. I'm available any afternoon the following week.",
      "I apologize for any inconvenience this may cause.",
      "Please let me know which times are available."),
    E("I was charged $49.99 twice for the same online course. Write an email to the billing team asking for a refund of the duplicate charge. My name is Sofia.",
      "Billing Team", "Sofia", True, "Duplicate charge of $49.99",
      "I was charged $49.99 twice for the same online course. Could you please refund the duplicate charge?",
      "I'm happy to send a copy of my statement showing both charges if that would help.",
      "Thank you for looking into this.",
      ("Add that I noticed it on my statement this morning.", "I noticed both charges on my statement this morning.")),
    E("Write a short welcome email to Jonas, who joins our design team on Monday. Mention that Priya will be his onboarding buddy. From Elena, the team lead.",
      "Jonas", "Elena", False, "Welcome to the design team!",
      "Welcome to the design team! We're really glad you're joining us on Monday. Priya will be your onboarding buddy, so feel free to go to her with any questions, big or small.",
      "We'll spend the first few days getting you set up and introducing you to everyone.",
      "See you on Monday!"),
    E("Write an email apologizing to a client, Mr. Okafor, for my slow reply about the project timeline, and confirm the new delivery date of 2024-09-30. I'm Hana.",
      "Mr. Okafor", "Hana", True, "Project timeline and delivery date",
      "I apologize for my slow reply regarding the project timeline. I can now confirm that the new delivery date is 2024-09-30.",
      "We have adjusted our schedule to make sure we meet this date, and I will keep you updated on our progress.",
      "Thank you for your patience."),
    E("Write a friendly note inviting our neighbors to a backyard barbecue on Saturday, July 20 at 4 p.m. We'll provide the food; they can bring drinks if they like. From Tom and Rosa.",
      "neighbors", "Tom and Rosa", False, "Backyard barbecue on Saturday, July 20",
      "We're having a backyard barbecue on Saturday, July 20 at 4 p.m., and we'd love for you to join us! We'll take care of the food; feel free to bring something to drink if you like.",
      "Kids are very welcome too.",
      "Hope to see you there!"),
    E("Write an email to my landlord, Mr. Haddad, saying the heater in my apartment has stopped working and asking for it to be repaired soon. I'm Noah in unit 4B.",
      "Mr. Haddad", "Noah (Unit 4B)", True, "Heater not working in unit 4B",
      "The heater in my apartment (unit 4B) has stopped working. Could you please arrange for it to be repaired as soon as possible?",
      "With the cold weather, it's getting quite uncomfortable, so I'd be grateful for a quick fix. I'm happy to be flexible about access for the repair.",
      "Thank you in advance."),
    E("Write an email to Professor Lin asking for a three-day extension on my history essay, which is due Friday, because I've been sick with the flu. I'm Zoe Carter.",
      "Professor Lin", "Zoe Carter", True, "Extension request for history essay",
      "I've been sick with the flu this week and have fallen behind on my history essay, which is due Friday. Would it be possible to have a three-day extension?",
      "I have already started the essay and will make sure to submit it within the extended time.",
      "Thank you for considering my request."),
    E("Write a short email to my manager, Sara, recommending my colleague Ravi for the team lead position. He mentored three new hires this year and led our migration project. I'm Felix.",
      "Sara", "Felix", False, "Recommendation: Ravi for team lead",
      "I'd like to recommend Ravi for the team lead position. This year he mentored three new hires and led our migration project, and he did both extremely well.",
      "He's patient, organized, and the person people naturally go to when they're stuck.",
      "Happy to talk more if it would help."),
    E("Write a resignation email to my manager, Peter. My last day will be August 30. Keep it positive. I'm Chloe.",
      "Peter", "Chloe", True, "Resignation",
      "Please accept this email as notice of my resignation. My last day will be August 30. I've really enjoyed working with you and the team, and I'm grateful for everything I've learned here.",
      "Over the coming weeks I'll do everything I can to make the handover smooth.",
      "Thank you again for the opportunity."),
    E("Write a quick email congratulating my friend Mateo on his new job as a nurse at the children's hospital. From Leila.",
      "Mateo", "Leila", False, "Congratulations!",
      "Congratulations on your new job as a nurse at the children's hospital! I know how hard you worked for this, and they're lucky to have you.",
      "Let's celebrate soon, my treat.",
      "So proud of you!"),
    E("Write an email to a painting company asking for a quote to paint three bedrooms and a hallway sometime in October. I'm Samuel.",
      "Sir or Madam", "Samuel", True, "Quote request: painting three bedrooms and a hallway",
      "I'm looking for a quote to paint three bedrooms and a hallway in my home. Ideally the work would be done sometime in October.",
      "Please let me know what information you need from me, or whether you'd like to visit to take measurements.",
      "I look forward to hearing from you."),
    E("Write an email to all staff announcing that the office will be closed on Monday, September 2 for Labor Day, and that support will reopen on Tuesday at 8 a.m. From Facilities.",
      "everyone", "Facilities", True, "Office closed Monday, September 2",
      "The office will be closed on Monday, September 2 for Labor Day. Support will reopen on Tuesday at 8 a.m.",
      "Please plan any deliveries or visitor appointments around the closure.",
      "Enjoy the long weekend!"),
    E("Write a friendly reminder to my team that the quarterly reports are due on 2024-06-28 by 5 p.m. From Ingrid.",
      "team", "Ingrid", False, "Reminder: quarterly reports due 2024-06-28",
      "Just a friendly reminder that quarterly reports are due on 2024-06-28 by 5 p.m.",
      "If you're running into any blockers, let me know early so we can sort them out together.",
      "Thanks, everyone!",
      ("Please add that late reports delay the whole department's summary.", "Late reports hold up the department's summary, so on-time submissions really help.")),
    E("Write a thank-you note to my aunt Carmen for the cookbook she sent for my birthday. From Mei.",
      "Aunt Carmen", "Mei", False, "Thank you for the cookbook!",
      "Thank you so much for the cookbook you sent for my birthday! I've already marked a few recipes to try.",
      "It was so thoughtful of you to remember how much I love cooking.",
      "Lots of love."),
    E("Write an email canceling my gym membership (member ID 20417), effective at the end of this month. I'm Elijah.",
      "Sir or Madam", "Elijah", True, "Membership cancellation (member ID 20417)",
      "I would like to cancel my gym membership (member ID 20417), effective at the end of this month.",
      "Please confirm the cancellation and let me know if there is anything else you need from me.",
      "Thank you."),
    E("Write an email to my coworker Amina asking her to look over my draft proposal by Wednesday and share any feedback. I'm David.",
      "Amina", "David", False, "Feedback on my draft proposal",
      "Could you take a look at my draft proposal and share any feedback by Wednesday?",
      "I'd especially value your thoughts on whether the budget section is clear.",
      "Thanks so much for your help."),
    E("Write an email introducing my colleague Marcus, who works in marketing, to my friend Lucy, who runs a small design studio and wants advice on social media ads. From Nadia.",
      "Lucy and Marcus", "Nadia", False, "Introduction: Lucy and Marcus",
      "I'd like to introduce you two. Lucy runs a small design studio and is looking for advice on social media ads. Marcus works in marketing and knows a lot about exactly that.",
      "I think you'd have a great conversation, so I'll let you two take it from here.",
      "Best wishes to you both."),
    E("Write an email to my former manager, Mr. Walsh, asking whether he'd be willing to be a reference for a project manager role I'm applying for. I'm Yuki.",
      "Mr. Walsh", "Yuki", True, "Reference request",
      "I'm applying for a project manager role, and I wanted to ask whether you would be willing to serve as a reference for me.",
      "I really valued working with you, and I think you could speak well to how I handle planning and deadlines. I'm happy to send you the job description.",
      "Thank you for considering it."),
    E("Write an RSVP email accepting the invitation to Anna and Ben's wedding on October 12, for two people. From Kwame and Ama.",
      "Anna and Ben", "Kwame and Ama", False, "RSVP: wedding on October 12",
      "Thank you for inviting us! We're delighted to accept, and there will be two of us at the wedding on October 12.",
      "We can't wait to celebrate with you.",
      "See you on the big day!"),
    E("Write a polite follow-up to a recruiter, Ms. Bell, about the marketing coordinator application I submitted two weeks ago. I'm Arjun.",
      "Ms. Bell", "Arjun", True, "Following up on my marketing coordinator application",
      "I submitted my application for the marketing coordinator position two weeks ago and wanted to follow up on its status.",
      "I remain very interested in the role and would be glad to provide any additional information.",
      "Thank you for your time."),
    E("Write a polite email to building management about loud music from the apartment above mine after midnight on weeknights. I'm Beatriz in 3C.",
      "Building Management", "Beatriz (Apartment 3C)", True, "Noise after midnight",
      "I wanted to let you know that there has been loud music from the apartment above mine after midnight on weeknights. Could you please help address this?",
      "I'd prefer to keep things friendly, so I'd appreciate it if you could handle it with a general reminder about quiet hours.",
      "Thank you for your help."),
    E("Draft an email to my manager, Hugo, asking for a meeting to discuss my salary. I've taken on two new clients this year. I'm Fatima.",
      "Hugo", "Fatima", True, "Meeting request: compensation",
      "Could we set up a meeting to discuss my salary? This year I've taken on two new clients, and I'd like to talk about how my compensation reflects that added responsibility.",
      "I'm happy to share a short summary of my work with those clients before we meet.",
      "Please let me know what time works for you."),
    E("Write an out-of-office auto-reply: I'm away from August 5 to August 16 with limited email access. For urgent matters, people should contact my colleague Theo Park.",
      "", "", True, "Out of office: August 5–16",
      "I'm out of the office from August 5 to August 16 with limited access to email. For urgent matters, please contact my colleague Theo Park.",
      "I'll respond to your message as soon as possible after I return.",
      ""),
    E("Write an email to volunteers confirming the park cleanup on Saturday, April 13 at 9 a.m. Tell them to bring gloves and water. From Grace at the Green Streets group.",
      "volunteers", "Grace, Green Streets", False, "Park cleanup: Saturday, April 13 at 9 a.m.",
      "Thanks for signing up! The park cleanup is on Saturday, April 13 at 9 a.m. Please bring gloves and water.",
      "We'll provide trash bags and snacks, and we'll split into small groups when everyone arrives.",
      "See you there!"),
    E("Write an email to a landlord asking whether the two-bedroom apartment listed for $1,450 a month is still available and whether pets are allowed. I have a small cat. I'm Lena.",
      "Sir or Madam", "Lena", True, "Inquiry: two-bedroom apartment at $1,450/month",
      "I'm interested in the two-bedroom apartment listed for $1,450 a month. Is it still available? I'd also like to know whether pets are allowed, as I have a small cat.",
      "If it's available, I'd love to arrange a viewing.",
      "Thank you, and I look forward to hearing from you."),
    E("Write a short email thanking my team for shipping version 2.0 of our app on time. From Daniel, the engineering manager.",
      "team", "Daniel", False, "Version 2.0 shipped. Thank you!",
      "Thank you all for shipping version 2.0 of our app on time! It took a lot of focus and teamwork, and it shows.",
      "Let's take a moment to celebrate before we start planning what comes next.",
      "Great work, everyone."),
    E("Write an email to my son's teacher, Ms. Rivera, asking for a short meeting to talk about how he's doing in math. I'm Carlos.",
      "Ms. Rivera", "Carlos", True, "Request for a short meeting about math",
      "Would you have time for a short meeting to talk about how my son is doing in math?",
      "I'd like to understand where he's doing well and how we can support him at home.",
      "Thank you for all you do for the class."),
    E("Write an email to my book club letting everyone know that this month's meeting moves from Thursday to Friday, at the same time (7 p.m.) and place. From Priya.",
      "everyone", "Priya", False, "Book club moves to Friday this month",
      "Quick update: this month's book club meeting is moving from Thursday to Friday. The time (7 p.m.) and place stay the same.",
      "Sorry for the shuffle, and I hope the new day still works for everyone.",
      "See you Friday!"),
    E("Write an email to my project lead, Chen, asking to move the report deadline from Monday to Wednesday because the data arrived late. I'm Sam.",
      "Chen", "Sam", False, "Report deadline: request to move to Wednesday",
      "Because the data arrived late, would it be possible to move the report deadline from Monday to Wednesday?",
      "I've already started the analysis, and the extra two days will let me check the numbers properly.",
      "Thanks for understanding."),
    E("Write an apology to my colleague Ivy for missing our one-on-one this morning because I got the time wrong. Suggest rescheduling for tomorrow. I'm Kai.",
      "Ivy", "Kai", False, "Sorry I missed our one-on-one",
      "I'm sorry I missed our one-on-one this morning. I got the time wrong. Could we reschedule for tomorrow?",
      "I'll fit around whatever time suits you best.",
      "Thanks for your patience."),
    E("Write an email to a hotel asking to extend my reservation (#HT-7782) by one night: check-in stays June 3, but checkout moves from June 6 to June 7. I'm Rosa Jensen.",
      "Sir or Madam", "Rosa Jensen", True, "Reservation #HT-7782: extra night",
      "I'd like to extend my reservation (#HT-7782) by one night. My check-in date stays June 3, but I'd like to check out on June 7 instead of June 6.",
      "Please let me know whether the same room is available and what the updated total will be.",
      "Thank you very much."),
    E("Write a friendly message asking my neighbor, Mr. Young, if he could water my plants while I'm away from the 14th to the 21st. I'm Ana.",
      "Mr. Young", "Ana", False, "A small favor",
      "I'm going away from the 14th to the 21st, and I was wondering if you could water my plants while I'm gone.",
      "I'll leave a key and a note with instructions. It should only take a few minutes every couple of days. I'd be happy to return the favor anytime.",
      "Thank you so much!"),
    E("Write an email accepting the job offer for the junior developer role, starting on March 4. Thank the hiring manager, Ms. Diallo. I'm Luca.",
      "Ms. Diallo", "Luca", True, "Job offer acceptance: junior developer",
      "Thank you for offering me the junior developer role. I'm delighted to accept, and I confirm that I will start on March 4.",
      "Please let me know if there's any paperwork I should complete before my first day.",
      "I'm looking forward to joining the team."),
    E("Write a thank-you email to the donors of our animal shelter's winter fundraiser, which raised $12,500 to help care for rescued dogs and cats. From the Paws & Whiskers team.",
      "friends", "The Paws & Whiskers team", False, "Thank you for an amazing winter fundraiser!",
      "Thanks to your generosity, our winter fundraiser raised $12,500 to help care for rescued dogs and cats. Thank you!",
      "Your support will go toward food, veterinary care and warm bedding for the animals in our care this season.",
      "With gratitude."),
]


def greeting(e, formal_style):
    to = e["to"]
    if not to:
        return ""
    if to in ("everyone", "team", "neighbors", "volunteers", "friends"):
        return f"Hi {to}," if not formal_style or to == "everyone" else f"Dear {to},"
    if to == "Sir or Madam":
        return "Dear Sir or Madam," if formal_style else "Hello,"
    if to.endswith("Team") or to == "Building Management":
        return f"Dear {to},"
    return f"Dear {to}," if formal_style else f"Hi {to},"


def signoff(e, synth):
    if not e["frm"]:
        return ""
    if e["formal"]:
        w = "Best regards," if synth else rng.choice(["Best regards,", "Thanks,", "Regards,"])
    else:
        w = rng.choice(["Best,", "Thanks,", "Cheers,"]) if not synth else rng.choice(["Best,", "Warmly,", "Thanks again,"])
    if e["close"] in ("Lots of love.", "With gratitude."):
        w = e["close"][:-1] + ","
    return f"{w}\n{e['frm']}"


def email_body(e, synth, added=None):
    parts = []
    g = greeting(e, e["formal"])
    if g:
        parts.append(g)
    core = e["core"] + ((" " + added) if added else "")
    if synth:
        if e["formal"] and e["to"] and e["to"] not in ("everyone",):
            parts.append("I hope this message finds you well.")
        parts.append(core)
        parts.append(e["extra"])
        if e["close"] and e["close"] not in ("Lots of love.", "With gratitude."):
            parts.append(e["close"])
    else:
        parts.append(core)
    so = signoff(e, synth)
    if so:
        parts.append(so)
    return "\n\n".join(parts)


def gen_emails(count):
    out = []
    for e in EMAILS:
        claim(e["p"])
        hb = email_body(e, False)
        human = (f"Subject: {e['subj']}\n\n" + hb) if rng.random() < 0.4 else hb
        lead = rng.choice(["Here's a draft you can use:", "Here's a polished draft:", "Here's an email you can send:"])
        synth = (opener() + lead + "\n\n" + f"**Subject:** {e['subj']}\n\n" + email_body(e, True)
                 + "\n\n" + rng.choice(["Feel free to adjust the tone or details before sending.",
                                        "You can tweak the wording to match your style.",
                                        "Let me know if you'd like it shorter or more formal."]))
        follow = None
        if e["fol"]:
            q2, add = e["fol"]
            claim(q2)
            follow = (q2, email_body(e, False, add),
                      rng.choice(["Sure! ", "Of course! ", ""]) + "Here's the updated version:\n\n"
                      + f"**Subject:** {e['subj']}\n\n" + email_body(e, True, add))
        out.append(item("email_drafting", e["p"], human, synth, follow))
    return out[:count]


# ==========================================================================
# Evaluation data: multiple choice (eval_mc.jsonl)
# ==========================================================================
# Facts, sentences and numbers here are deliberately different from the
# training pools above.

# (question, correct, three distractors)
EVAL_FACTS = [
    ("What is the capital of Norway?", "Oslo", ["Bergen", "Stockholm", "Copenhagen"]),
    ("What is the capital of Kenya?", "Nairobi", ["Mombasa", "Kampala", "Addis Ababa"]),
    ("What is the capital of Egypt?", "Cairo", ["Alexandria", "Luxor", "Khartoum"]),
    ("What is the capital of Argentina?", "Buenos Aires", ["Córdoba", "Montevideo", "Santiago"]),
    ("What is the capital of Portugal?", "Lisbon", ["Porto", "Madrid", "Coimbra"]),
    ("What is the capital of Thailand?", "Bangkok", ["Chiang Mai", "Phuket", "Hanoi"]),
    ("Which chemical symbol stands for silver?", "Ag", ["Si", "Sv", "Au"]),
    ("Which chemical symbol stands for neon?", "Ne", ["N", "Na", "Ni"]),
    ("Which chemical symbol stands for zinc?", "Zn", ["Z", "Zi", "Sn"]),
    ("Which animal is the largest mammal on Earth?", "The blue whale", ["The African elephant", "The whale shark", "The giraffe"]),
    ("What is the chemical formula of water?", "H₂O", ["CO₂", "H₂O₂", "O₂"]),
    ("Who wrote the play Romeo and Juliet?", "William Shakespeare", ["Christopher Marlowe", "Charles Dickens", "Jane Austen"]),
    ("Which is the longest bone in the human body?", "The femur", ["The tibia", "The humerus", "The sternum"]),
    ("Which organ produces insulin?", "The pancreas", ["The liver", "The kidneys", "The stomach"]),
    ("What does a barometer measure?", "Atmospheric pressure", ["Temperature", "Humidity", "Wind speed"]),
    ("About how long does Earth take to orbit the Sun once?", "About 365.25 days", ["About 30 days", "About 180 days", "About 730 days"]),
    ("Which vitamin does human skin produce when exposed to sunlight?", "Vitamin D", ["Vitamin A", "Vitamin C", "Vitamin K"]),
    ("Which planet is best known for its large, bright ring system?", "Saturn", ["Mars", "Venus", "Mercury"]),
    ("Apart from the Sun, which star is closest to Earth?", "Proxima Centauri", ["Sirius", "Betelgeuse", "Polaris"]),
    ("What is the sum of the interior angles of any quadrilateral?", "360 degrees", ["180 degrees", "270 degrees", "540 degrees"]),
]


def mc_arith():
    """Fourteen word problems with computed answers and plausible wrong answers."""
    items_ = []
    # 1-2: leftovers
    for a, b, c in [(6, 24, 57), (9, 18, 44)]:
        ans = a * b - c
        items_.append((f"A bakery bakes {a} trays of rolls with {b} rolls on each tray and sells {c} rolls by noon. How many rolls are left?",
                       str(ans), [str(a * b + c), str(a * b), str(ans - b)]))
    # 3-4: tickets and popcorn
    for p, q, k, m in [(F("12.50"), F("6.25"), 3, 2), (F("9.75"), F("4.50"), 4, 3)]:
        tot = k * p + m * q
        items_.append((f"A movie ticket costs {money(p)} and a popcorn costs {money(q)}. How much do {k} tickets and {m} popcorns cost in total?",
                       money(tot), [money(k * p + q), money((k + m) * p), money(k * p)]))
    # 5-6: fuel economy
    for d, l_ in [(540, 36), (637, 49)]:
        items_.append((f"A car travels {d} km on {l_} liters of fuel. How many kilometers does it travel per liter?",
                       f"{d // l_} km", [f"{d // l_ + 3} km", f"{d - l_} km", f"{d // l_ - 3} km"]))
    # 7-8: percentage of a number
    for pc, y in [(15, 240), (35, 180)]:
        r = F(pc * y, 100)
        items_.append((f"What is {pc}% of {y}?", n(r), [n(r * 2), n(F(y, pc)), n(y - r)]))
    # 9-10: rectangle length from perimeter
    for P_, w in [(46, 9), (70, 13)]:
        L = P_ // 2 - w
        items_.append((f"A rectangle has a perimeter of {P_} cm and a width of {w} cm. What is its length?",
                       f"{L} cm", [f"{P_ - w} cm", f"{P_ // 2} cm", f"{P_ - 2 * w} cm"]))
    # 11-12: unit rate
    for k1, c1, k2 in [(4, 10, 10), (6, 15, 14)]:
        r = F(c1, k1) * k2
        items_.append((f"If {k1} notebooks cost ${c1}, how much do {k2} notebooks cost at the same price each?",
                       money(r), [money(c1 * k2), money(F(c1, k1) * (k2 - 1)), money(F(k1 * k2, c1))]))
    # 13-14: battery drain
    for rate, hrs in [(8, 6), (12, 5)]:
        left = 100 - rate * hrs
        items_.append((f"A phone battery starts at 100% and drains by {rate} percentage points every hour. What is the charge after {hrs} hours?",
                       f"{left}%", [f"{rate * hrs}%", f"{left + rate}%", f"{left - rate}%"]))
    return items_


# (spec key, value, question template)
EVAL_CONVERSIONS = [
    ("km_mi", "16", "Approximately how many miles are in {q}?"),
    ("mi_km", "18", "About how many kilometers is {q}?"),
    ("kg_lb", "30", "Roughly how many pounds is {q}?"),
    ("lb_kg", "25", "About how many kilograms is {q}?"),
    ("c_f", "30", "What is {q} in degrees Fahrenheit?"),
    ("f_c", "86", "What is {q} in degrees Celsius?"),
    ("in_cm", "9", "How many centimeters is {q}?"),
    ("ft_m", "12", "About how many meters is {q}?"),
    ("gal_l", "3", "About how many liters are in {q}?"),
    ("h_min", "4.5", "How many minutes are in {q}?"),
    ("kmh_ms", "72", "What is {q} in meters per second?"),
    ("m_km", "2,600", "How many kilometers is {q}?"),
]


def mc_conversions():
    out = []
    spec_by = {c["key"]: c for c in CONVERSIONS}
    for key, v, tpl in EVAL_CONVERSIONS:
        sp = spec_by[key]
        assert v not in sp["values"], (key, v)
        x = F(v.replace(",", ""))
        res = conv_value(sp, v)
        places = 1
        good = n(res, places)
        # plausible mistakes: inverse operation, off by 10%, swapped formula
        if sp["op"] == "mul":
            wrong = [x / sp["factor"], res * F(11, 10), res * F(9, 10)]
        elif sp["op"] == "div":
            wrong = [x * sp["factor"], res * F(11, 10), res * F(9, 10)]
        elif sp["op"] == "c2f":
            wrong = [x * F(5, 9) + 32, x + 32, (x - 32) * F(5, 9)]
        else:
            wrong = [x * F(9, 5) + 32, x - 32, (x - 32) * F(9, 5)]
        unit = sp["ta"] if sp["ta"].startswith("°") else " " + sp["tp"]
        fmt = (lambda y: f"{n(y, places)}{unit}")
        q = tpl.format(q=qty(v, sp, "f") if not sp["fa"].startswith("°") else f"{v}{sp['fa']}")
        out.append((q, fmt(res), [fmt(w) for w in wrong]))
    return out


EVAL_SENTIMENT = [
    ("negative", ["The hotel staff went out of their way to help us.",
                  "The charger stopped working after a week and the seller ignored my emails.",
                  "The new park has a lovely walking trail.",
                  "Our tour guide was funny and knowledgeable."]),
    ("positive", ["The bus was forty minutes late again.",
                  "The sandwich was stale and overpriced.",
                  "This backpack has held up beautifully through three years of daily use.",
                  "The printer jams every time I use it."]),
    ("negative", ["The workshop was practical and well organized.",
                  "I loved the view from our room.",
                  "The delivery arrived earlier than expected.",
                  "The sequel felt rushed, and the ending made no sense."]),
    ("positive", ["The app logs me out every few minutes.",
                  "The new neighbors have been incredibly welcoming.",
                  "My order arrived with a cracked screen.",
                  "The gym is always too crowded to use."]),
    ("neutral", ["The cake was absolutely delicious!",
                 "I'm so disappointed with this vacuum cleaner.",
                 "The meeting starts at 2 p.m. in room 104.",
                 "What a fantastic concert that was!"]),
    ("negative", ["The museum's new wing is stunning.",
                  "Customer service fixed my problem in minutes.",
                  "These running shoes are the most comfortable I've owned.",
                  "The room smelled of mold and the air conditioning didn't work."]),
    ("positive", ["The train was cancelled with no explanation.",
                  "The soup was cold by the time it reached our table.",
                  "I waited an hour on hold and then got disconnected.",
                  "The teacher explained everything so clearly that the exam felt easy."]),
]
EVAL_TOPICS = [
    ("City marathon draws record number of runners", "sports"),
    ("Chipmaker unveils faster processor for laptops", "technology"),
    ("Researchers link daily stretching to fewer back injuries", "health"),
    ("Retail chain to open 40 new stores next year", "business"),
    ("Telescope captures image of a distant spiral galaxy", "science"),
    ("Striker signs three-year contract with rival club", "sports"),
    ("Streaming service releases trailer for new fantasy series", "entertainment"),
]


def gen_eval_mc():
    raw = []
    for q, good, bad in EVAL_FACTS:
        raw.append(("fact", q, good, bad))
    for q, good, bad in mc_arith():
        raw.append(("arithmetic", q, good, bad))
    for q, good, bad in mc_conversions():
        raw.append(("conversion", q, good, bad))
    for lab, sents in EVAL_SENTIMENT:
        target = {"negative": "expresses a negative opinion", "positive": "expresses a positive opinion",
                  "neutral": "is a neutral statement of fact, with no opinion"}[lab]
        raw.append(("classification", f"Which of these sentences {target}?", None, sents, lab))
    too_close = {"science": {"technology", "health"}, "technology": {"science", "business"},
                 "health": {"science"}, "business": {"technology"}, "sports": {"entertainment", "business"},
                 "entertainment": {"business", "technology"}}
    for head, lab in EVAL_TOPICS:
        others = [t for t in TOPIC_LABELS if t != lab and t not in too_close[lab]]
        rng.shuffle(others)
        raw.append(("classification", f"Which category best fits this headline: \"{head}\"?", lab, others[:3]))
    # explicit answers for the sentiment items (the one sentence of the requested polarity)
    sentiment_answers = {
        0: "The charger stopped working after a week and the seller ignored my emails.",
        1: "This backpack has held up beautifully through three years of daily use.",
        2: "The sequel felt rushed, and the ending made no sense.",
        3: "The new neighbors have been incredibly welcoming.",
        4: "The meeting starts at 2 p.m. in room 104.",
        5: "The room smelled of mold and the air conditioning didn't work.",
        6: "The teacher explained everything so clearly that the exam felt easy.",
    }
    golds = [i % 4 for i in range(len(raw))]
    rng.shuffle(golds)
    out = []
    si = 0
    for (entry, g) in zip(raw, golds):
        if len(entry) == 5:
            _, q, _, sents, lab = entry
            good = sentiment_answers[si]
            si += 1
            bad = [s_ for s_ in sents if s_ != good]
        else:
            _, q, good, bad = entry
        assert len(bad) == 3 and good not in bad and len(set(bad)) == 3, (q, good, bad)
        bad = bad[:]
        rng.shuffle(bad)
        choices = bad[:g] + [good] + bad[g:]
        out.append({"query": q, "choices": choices, "gold": g})
    return out


# ==========================================================================
# Arena prompts (arena_prompts.jsonl): two user turns each, with a reference
# answer to the first turn; numeric answers are computed.
# ==========================================================================

def arena_math():
    out = []
    # 1 path around a garden
    L, W, p = 12, 7, 1
    path = (L + 2 * p) * (W + 2 * p) - L * W
    out.append(("math", [f"A rectangular garden is {L} m long and {W} m wide. A path {p} m wide runs all the way around the outside of it. What is the area of the path in square meters?",
                         "How much would it cost to pave the path at $25 per square meter?"],
                f"The garden plus the path forms a larger rectangle of {L + 2*p} m × {W + 2*p} m = {(L+2*p)*(W+2*p)} m². "
                f"Subtracting the garden itself ({L} × {W} = {L*W} m²) leaves the path: {(L+2*p)*(W+2*p)} − {L*W} = {path} m².", str(path)))
    # 2 pens
    pack, each, qty_ = F("9.00"), F("0.85"), 36
    save = qty_ * each - (qty_ // 12) * pack
    out.append(("math", [f"A store sells pens in packs of 12 for {money(pack)}, or individually for {money(each)} each. How much do you save by buying {qty_ // 12} packs instead of {qty_} individual pens?",
                         "What is the price per pen when you buy a pack?"],
                f"{qty_} individual pens cost {qty_} × {money(each)} = {money(qty_ * each)}. {qty_ // 12} packs cost {qty_ // 12} × {money(pack)} = {money((qty_ // 12) * pack)}. "
                f"The saving is {money(qty_ * each)} − {money((qty_ // 12) * pack)} = {money(save)}.", n(save)))
    # 3 reading
    per, total, done = 24, 420, 132
    days = -(-(total - done) // per)
    out.append(("math", [f"Sam reads {per} pages a day. His book has {total} pages and he has already read {done}. How many more days will it take him to finish, counting a partial day as a full day?",
                         "If he read 30 pages a day instead, how many days would it take?"],
                f"He has {total} − {done} = {total - done} pages left. {total - done} ÷ {per} = {n(F(total - done, per))}, so he needs {days} more days.", str(days)))
    # 4 train ticket
    dep, arr = dt.datetime(2024, 1, 1, 9, 40), dt.datetime(2024, 1, 1, 13, 5)
    mins = int((arr - dep).total_seconds() // 60)
    cost = mins * F("0.30")
    out.append(("math", ["A train leaves at 09:40 and arrives at 13:05 the same day. The fare is $0.30 per minute of travel. How much does the ticket cost?",
                         "If the distance is 246 km, what was the train's average speed in km/h?"],
                f"The trip lasts from 09:40 to 13:05, which is 3 hours 25 minutes = {mins} minutes. At $0.30 per minute, the fare is {mins} × $0.30 = {money(cost)}.", n(cost)))
    # 5 missing number
    known = [12, 20, 15, 25]
    fifth = 18 * 5 - sum(known)
    out.append(("math", [f"The average of five numbers is 18. Four of them are {join_and(str(k) for k in known)}. What is the fifth number?",
                         "If the fifth number were doubled, what would the new average be?"],
                f"Five numbers averaging 18 add up to 5 × 18 = 90. The four known numbers sum to {sum(known)}, so the fifth is 90 − {sum(known)} = {fifth}.", str(fifth)))
    # 6 discount then tax
    price = 80
    final = price * F(75, 100) * F(110, 100)
    out.append(("math", ["A jacket costs $80. It is discounted by 25%, and then 10% sales tax is added to the discounted price. What is the final price?",
                         "Would the final price be different if the tax were added before the discount? Explain."],
                f"After the 25% discount the price is $80 × 0.75 = $60.00. Adding 10% tax gives $60.00 × 1.10 = {money(final)}.", n(final)))
    assert [o[3] for o in out] == ["42", "3.6", "12", "61.5", "18", "66"], [o[3] for o in out]
    return out


ARENA_OTHER = [
    ("writing", ["Write a short poem (eight lines or fewer) about the first snowfall of winter.",
                 "Now turn it into a haiku."],
     "The first snow came without a sound,\nit dusted roofs and hid the ground;\nthe streetlights wore a softer glow,\nthe busy road forgot to go.\nBy morning every fence and tree\nhad changed to something new to see,\nand children, still in pajamas, pressed\ntheir faces where the cold flakes rest."),
    ("writing", ["Write a product description of about 100 words for a reusable stainless-steel water bottle that keeps drinks cold for 24 hours.",
                 "Make it more playful and aimed at teenagers."],
     "Meet the bottle that keeps up with your day. Double-walled stainless steel keeps drinks ice-cold for up to 24 hours, so your water is as refreshing at 6 p.m. as it was at breakfast. The leak-proof lid seals tight enough to toss in a bag, and the wide mouth makes it easy to add ice or clean. It's free of plastic liners, tough enough for hikes and commutes, and sized to fit most cup holders. Refill it instead of buying disposable bottles, and you'll save money while cutting waste, one cold sip at a time."),
    ("writing", ["Write the opening paragraph of a mystery story set in a small-town library.",
                 "Continue with a second paragraph that introduces the detective."],
     "Every night at nine, Marjorie locked the doors of the Elmsford Public Library and checked that every book was where it belonged. In thirty-one years she had never found one out of place. So when she switched on the lights on Tuesday morning and saw a single leather-bound volume lying open on the reading-room table, its pages weighted down with a river stone, she stood very still. The book was a county history no one had borrowed in decades, and someone had underlined one sentence in fresh red ink: \"The bell tower holds more than bells.\""),
    ("writing", ["Write a short speech of about 150 words for the retirement party of a well-loved school librarian, Mrs. Okonkwo.",
                 "Add a light-hearted anecdote about overdue books."],
     "Good evening, everyone. We're here to celebrate Mrs. Okonkwo, who has spent twenty-six years turning our library into the heart of this school. She could find the perfect book for the most reluctant reader, and somehow she remembered what every student liked, from dinosaur facts to fantasy sagas. She ran book fairs, reading challenges and a lunchtime club that never had an empty chair. More than that, she made the library a place where everyone felt welcome, whether they came to study, to read or simply to have somewhere quiet to be. Mrs. Okonkwo, thank you for every recommendation, every patient explanation and every story you shared. We'll miss you enormously, and we hope retirement brings you long, unhurried days with all the books you never had time to read. Please join me in raising a glass to Mrs. Okonkwo!"),
    ("reasoning", ["A farmer needs to take a wolf, a goat and a cabbage across a river. The boat can carry the farmer and only one of them at a time. Left alone, the wolf would eat the goat, and the goat would eat the cabbage. How can the farmer get all three across safely?",
                   "What if the boat could carry the farmer and two of them at once?"],
     "1. Take the goat across and leave it on the far side.\n2. Go back alone.\n3. Take the wolf across, leave it, and bring the goat back.\n4. Leave the goat on the starting side and take the cabbage across.\n5. Go back alone and bring the goat across.\n\nThe key is that the goat is never left alone with the wolf or the cabbage, which means bringing it back once."),
    ("reasoning", ["All glimmers are tovs, and all tovs are brinks. Are all glimmers definitely brinks? Explain your reasoning.",
                   "Does it follow that all brinks are glimmers?"],
     "Yes. If every glimmer is a tov, and every tov is a brink, then any glimmer is a tov and therefore a brink. The group of glimmers sits inside the group of tovs, which sits inside the group of brinks, so all glimmers must be brinks."),
    ("reasoning", ["Ana, Ben and Cleo each have a different pet: a cat, a dog or a parrot. Ana is allergic to fur. Ben's pet cannot fly. Cleo does not have a dog. Who has which pet?",
                   "How can you be sure this is the only possible answer?"],
     "Ana is allergic to fur, so she can't have the cat or the dog; she has the parrot. That leaves the cat and the dog for Ben and Cleo. Cleo doesn't have a dog, so Cleo has the cat and Ben has the dog. (Ben's pet can't fly, which fits.) So: Ana has the parrot, Ben has the dog and Cleo has the cat."),
    ("coding", ["Write a Python function that checks whether a string has balanced parentheses, square brackets and curly braces.",
                "Now make it ignore any brackets that appear inside double-quoted strings."],
     "```python\ndef is_balanced(text):\n    pairs = {\")\": \"(\", \"]\": \"[\", \"}\": \"{\"}\n    stack = []\n    for ch in text:\n        if ch in \"([{\":\n            stack.append(ch)\n        elif ch in pairs:\n            if not stack or stack.pop() != pairs[ch]:\n                return False\n    return not stack\n```\n\nEvery opening bracket is pushed onto a stack. Each closing bracket must match the most recent opening one, and the stack must be empty at the end. For example, `is_balanced(\"{[()]}\")` is `True` and `is_balanced(\"([)]\")` is `False`."),
    ("coding", ["Write a SQL query that returns the top 5 customers by total order amount from a table orders(customer_id, amount).",
                "Change it to include only orders placed in 2024, assuming there is an order_date column."],
     "```sql\nSELECT customer_id, SUM(amount) AS total_amount\nFROM orders\nGROUP BY customer_id\nORDER BY total_amount DESC\nLIMIT 5;\n```\n\n`GROUP BY` adds up the amounts per customer, `ORDER BY ... DESC` puts the biggest totals first, and `LIMIT 5` keeps the top five. (On SQL Server, use `SELECT TOP 5 ...` instead of `LIMIT`.)"),
    ("coding", ["Explain the difference between a list and a tuple in Python, with an example of when to use each.",
                "Which of the two can be used as a dictionary key, and why?"],
     "Both store ordered sequences, but a **list** is mutable (you can add, remove or change items) and a **tuple** is immutable (fixed once created).\n\n- Use a list for a collection that changes, such as a shopping cart: `cart = [\"milk\", \"eggs\"]; cart.append(\"bread\")`.\n- Use a tuple for a fixed group of values that belong together, such as coordinates: `point = (3, 4)`.\n\nTuples are also slightly lighter in memory and signal to readers that the data shouldn't change."),
    ("knowledge", ["Why does Earth have seasons?",
                   "Why are the seasons reversed in the Southern Hemisphere?"],
     "Earth has seasons because its axis is tilted by about 23.5 degrees relative to its orbit around the Sun. As Earth orbits, each hemisphere spends part of the year tilted toward the Sun, getting more direct sunlight and longer days (summer), and part of the year tilted away, getting more slanted sunlight and shorter days (winter). The seasons are not caused by changes in Earth's distance from the Sun; in fact, Earth is closest to the Sun in early January, during the Northern Hemisphere's winter."),
    ("knowledge", ["What is the difference between weather and climate?",
                   "Give me an everyday example that shows the difference."],
     "Weather is the state of the atmosphere at a particular place and time: today's temperature, rain, wind and cloud. It can change within hours. Climate is the long-term pattern of weather in a region, usually averaged over 30 years or more, such as how hot summers typically are or how much rain falls in a year. In short, weather is what you get on a given day; climate is what you can expect over many years."),
    ("knowledge", ["What causes the phases of the Moon?",
                   "How long does it take the Moon to go through all of its phases?"],
     "The Moon doesn't make its own light; we see sunlight reflecting off it. As the Moon orbits Earth, the half facing the Sun is always lit, but the angle between the Sun, Earth and Moon changes, so we see different amounts of that lit half. When the Moon is between Earth and the Sun, we see the dark side (new moon); when it's on the opposite side of Earth from the Sun, we see the whole lit face (full moon); in between we see crescents, quarters and gibbous phases. The phases are not caused by Earth's shadow, which only matters during a lunar eclipse."),
    ("extraction", ["Extract every date and time in this message and list them in ISO 8601 format: \"The kickoff is on March 4, 2025 at 10:30. Please send your slides by 2025-02-28, and we'll do a dry run on March 3 at 3 p.m.\"",
                    "Which of these happens first?"],
     "- Kickoff: 2025-03-04T10:30\n- Slide deadline: 2025-02-28\n- Dry run: 2025-03-03T15:00 (assuming the same year, 2025)"),
    ("extraction", ["From this review, extract the product name, price, rating out of 5 and main complaint as JSON: \"I bought the Lumen X2 desk lamp for $39.99. It's bright and easy to adjust, but the power cord is far too short. 4 out of 5 stars.\"",
                    "Add a field listing the positive points."],
     "```json\n{\n  \"product_name\": \"Lumen X2 desk lamp\",\n  \"price\": 39.99,\n  \"rating\": 4,\n  \"main_complaint\": \"The power cord is far too short.\"\n}\n```"),
    ("extraction", ["List every person mentioned in this paragraph along with their role: \"At Monday's meeting, project lead Dana Reyes presented the schedule, engineer Tom Becker raised concerns about testing, and the client's representative, Mia Lund, approved the budget.\"",
                    "Who raised a concern, and what was it about?"],
     "- Dana Reyes: project lead (presented the schedule)\n- Tom Becker: engineer (raised concerns about testing)\n- Mia Lund: the client's representative (approved the budget)"),
    ("advice", ["I have three exams next week and I feel overwhelmed. How should I plan my study time?",
                "What if one of the exams is much harder than the others?"],
     "Start by writing down the date of each exam and listing the topics each one covers. Then split your available time into short blocks (for example, 45 minutes of study followed by a 10-minute break) and assign more blocks to the exams that come first or that you feel least prepared for. Rotate subjects during the day rather than spending a whole day on one, and spend most of each block testing yourself with past questions or flashcards rather than rereading notes. Leave the evening before each exam for a light review, and protect your sleep, since being rested helps you recall what you've studied. Finally, check your plan each evening and adjust it; a plan you update is far more useful than a perfect one you abandon."),
    ("advice", ["I want to start saving money, but I live paycheck to paycheck. Where should I begin?",
                "How big should an emergency fund be?"],
     "Begin by tracking where your money goes for a month; small, regular expenses are often bigger than people expect. Next, pick one or two changes that are easy to stick with, such as cooking at home a few more nights or cancelling subscriptions you rarely use. Set up an automatic transfer of a small amount, even $10 or $20, into a separate savings account on payday, so saving happens before you can spend it. Your first goal can be a small emergency cushion, which keeps a surprise bill from turning into debt. If you have high-interest debt, paying it down is also a form of saving. Once the habit is in place, increase the amount whenever your income rises."),
]


def gen_arena():
    rows = ARENA_OTHER[:4] + arena_math()[:2] + ARENA_OTHER[4:8] + arena_math()[2:4] + ARENA_OTHER[8:13] + arena_math()[4:] + ARENA_OTHER[13:]
    out = []
    for i, r in enumerate(rows, 1):
        if len(r) == 4:
            cat, turns, ref, ans = r
        else:
            cat, turns, ref = r
            ans = None
        out.append({"id": f"arena-{i:03d}", "category": cat, "turns": turns, "reference": ref, "answer": ans})
    return out


# ==========================================================================
# Self-instruct style seed tasks (seed_tasks.jsonl)
# ==========================================================================

def gen_seed_tasks():
    km = F(15)
    miles = n(km / F("1.609344"), 1)
    d = dt.date(2023, 11, 5)
    nums = [42, 7, 19, 3, 88, 56]
    t1, t2 = dt.datetime(2024, 1, 1, 8, 45), dt.datetime(2024, 1, 1, 17, 10)
    mins = int((t2 - t1).total_seconds() // 60)
    pens = F(2, 3) * 12
    S = [
        ("synonym_finder", "Give three synonyms for the given word.", "happy", "joyful, cheerful, content", False),
        ("sentence_sentiment", "Classify the sentiment of the sentence as positive, negative or neutral.",
         "The update made the app much faster.", "positive", True),
        ("km_to_miles", "Convert the distance from kilometers to miles, rounded to one decimal place.",
         "15 km", f"{miles} miles", False),
        ("weekday_of_date", "Tell me which day of the week the given date falls on.",
         d.isoformat(), WEEKDAYS[d.weekday()], False),
        ("email_subject_line", "Write a clear, specific subject line for the email below.",
         "Hi all, the quarterly budget review has moved from Tuesday to Thursday at 2 p.m. in the same room. Please bring your updated spreadsheets.",
         "Budget review moved to Thursday at 2 p.m.", False),
        ("passive_to_active", "Rewrite the sentence in the active voice.",
         "The ball was kicked over the fence by the boy.", "The boy kicked the ball over the fence.", False),
        ("explain_to_a_child", "Explain what a rainbow is to a six-year-old in two sentences.", "",
         "A rainbow happens when sunlight shines through tiny drops of rain in the air. The drops split the light into all its colors, so we see a colorful arc in the sky.", False),
        ("odd_one_out", "Find the word that does not belong in the list and explain why.",
         "apple, banana, carrot, grape", "Carrot: it is a vegetable, while the others are fruits.", False),
        ("sort_numbers", "Sort the numbers in ascending order.", ", ".join(map(str, nums)),
         ", ".join(map(str, sorted(nums))), False),
        ("write_python_function", "Write a Python function that returns the number of words in a string.", "",
         "def count_words(text):\n    return len(text.split())", False),
        ("meeting_agenda", "Draft a short agenda for a 30-minute team meeting about planning a product launch.", "",
         "1. Launch goals and date (5 min)\n2. Status of each workstream (10 min)\n3. Risks and blockers (10 min)\n4. Next steps and owners (5 min)", False),
        ("true_or_false", "Say whether the statement is true or false.",
         "Sound travels faster in air than in water.", "False", True),
        ("summarize_paragraph", "Summarize the paragraph in one sentence.",
         "Our neighborhood swimming pool will close for repairs from June 1 to June 14. During that time, members can use the pool at the community center for free by showing their membership card. The repairs will fix the cracked tiles and replace the old heating system.",
         "The neighborhood pool closes June 1–14 for tile and heating repairs, and members can swim free at the community center meanwhile.", False),
        ("packing_list", "Make a packing list for a weekend camping trip.", "",
         "Tent, sleeping bag, sleeping pad, headlamp, water bottle, stove and fuel, simple meals, warm layers, rain jacket, first-aid kit, sunscreen, trash bags.", False),
        ("grammar_fix", "Correct the grammar in the sentence.", "She have two cat and one dogs.",
         "She has two cats and one dog.", False),
        ("word_problem", "Solve the word problem and give the answer.",
         "A shop sells 3 pens for $2. How much do 12 pens cost?", f"{money(pens)}", False),
        ("headline_topic", "Which category fits the headline best: sports, politics, technology or health?",
         "New vaccine shows promise in early trials", "health", True),
        ("ingredient_list", "List the ingredients needed for a basic omelette.", "",
         "Eggs, a pinch of salt, pepper, butter or oil for the pan, and optional fillings such as cheese, herbs or vegetables.", False),
        ("polite_decline", "Write a polite one-sentence reply declining an invitation.",
         "Invitation to a friend's party on Saturday evening",
         "Thank you so much for the invitation, but I already have plans on Saturday evening. I hope you all have a wonderful time!", False),
        ("acronym_expansion", "What does the acronym stand for?", "NASA",
         "National Aeronautics and Space Administration", False),
        ("time_difference", "How much time passes between the two times?",
         "From 08:45 to 17:10", f"{mins // 60} hours {mins % 60} minutes", False),
        ("analogy_completion", "Complete the analogy.", "Bird is to nest as bee is to ___.", "hive", False),
        ("interview_questions", "Write three questions a candidate could ask at the end of a job interview.", "",
         "1. What does success look like in this role after six months?\n2. What are the biggest challenges the team is facing right now?\n3. How does the team share feedback and support each other?", False),
        ("spam_detection", "Is the message spam or not spam?",
         "You have been selected to receive a $1,000 gift card! Click the link to claim it now.", "spam", True),
        ("pros_and_cons", "List two pros and two cons of working from home.", "",
         "Pros: no commute; more control over your schedule.\nCons: it can feel isolating; it's harder to separate work and home life.", False),
        ("blog_title", "Suggest a catchy title for a blog post with the given summary.",
         "A beginner's guide to growing tomatoes on a small balcony, covering pots, soil, sunlight and watering.",
         "Big Tomatoes, Small Balcony: A Beginner's Guide", False),
    ]
    assert WEEKDAYS[d.weekday()] == "Sunday"
    out = []
    for i, (name, ins, inp, outp, cls) in enumerate(S):
        out.append({"id": f"seed_task_{i}", "name": name, "instruction": ins,
                    "instances": [{"input": inp, "output": outp}], "is_classification": cls})
    return out


# ==========================================================================
# Assembly
# ==========================================================================

GENERATORS = [
    ("arithmetic", gen_arithmetic, 50),
    ("unit_conversion", gen_conversion, 46),
    ("date_arithmetic", gen_dates, 44),
    ("string_manipulation", gen_strings, 44),
    ("sorting", gen_sorting, 48),
    ("factual_qa", gen_facts, 49),
    ("definition", gen_definitions, 43),
    ("classification", gen_classification, 45),
    ("rewriting", gen_rewriting, 43),
    ("summarization", gen_summaries, 40),
    ("coding", gen_coding, 42),
    ("brainstorming", gen_brainstorm, 42),
    ("how_to", gen_howto, 39),
    ("email_drafting", gen_emails, 38),
]

SYSTEM_PROMPTS = [
    "You are a helpful assistant.",
    "You are a helpful, accurate assistant.",
    "You are a friendly assistant. Answer clearly and correctly.",
    "You are an assistant that helps people with everyday questions and tasks.",
]
SYSTEM_RATE = 0.12
MULTI_TURN_RATE = 0.10


def build_training():
    split = {"human": [], "synthetic": []}
    for ki, (kind, fn, k) in enumerate(GENERATORS):
        its = fn(k)
        assert len(its) == k, (kind, len(its), k)
        assert all(it["task"] == kind for it in its)
        if kind != "arithmetic":  # arithmetic pairs are already adjacent on purpose
            rng.shuffle(its)
        if kind == "summarization":  # spread the few long passages over both files
            its = [it for it in its if len(it["prompt"]) > 1000] + [it for it in its if len(it["prompt"]) <= 1000]
        for i, it in enumerate(its):
            split["human" if (i + ki) % 2 == 0 else "synthetic"].append(it)
    out = {}
    for name, its in split.items():
        # choose ~10% multi-turn rows, spread round-robin over task kinds
        target = round(MULTI_TURN_RATE * len(its))
        by_kind = OrderedDict()
        for idx, it in enumerate(its):
            if it["follow"]:
                by_kind.setdefault(it["task"], []).append(idx)
        for v in by_kind.values():
            rng.shuffle(v)
        chosen = set()
        while len(chosen) < target and any(by_kind.values()):
            for v in by_kind.values():
                if v and len(chosen) < target:
                    chosen.add(v.pop())
        rows = []
        for idx, it in enumerate(its):
            voice = "human" if name == "human" else "synth"
            msgs = []
            if rng.random() < SYSTEM_RATE:
                msgs.append({"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
            msgs.append({"role": "user", "content": it["prompt"]})
            msgs.append({"role": "assistant", "content": it[voice]})
            if idx in chosen:
                q2, h2, s2 = it["follow"]
                msgs.append({"role": "user", "content": q2})
                msgs.append({"role": "assistant", "content": h2 if voice == "human" else s2})
            rows.append({"task": it["task"], "messages": msgs})
        rng.shuffle(rows)
        out[name] = [{"id": f"{name}-{i:04d}", **r} for i, r in enumerate(rows, 1)]
    return out


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


# ==========================================================================
# Validation
# ==========================================================================

PII_PATTERNS = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    "phone": re.compile(r"\b\d{3}[-. ]\d{3}[-. ]\d{4}\b|\(\d{3}\)\s*\d{3}[-. ]\d{4}|\+\d{1,3}[ -]\d{2,4}[ -]\d{3,4}[ -]\d{3,4}"),
    "ipv4": re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b"),
    "card": re.compile(r"\b(?:\d[ -]?){12,15}\d\b"),
    "api_key": re.compile(r"\b(?:sk-[A-Za-z0-9_-]{8,}|hf_[A-Za-z0-9]{8,}|AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{20,})"),
}
LOOKALIKE_PATTERNS = {
    "version": re.compile(r"\b[vV]?\d+\.\d+\.\d+\b|\bversion \d+\.\d+\b|\b\d+\.x\b"),
    "iso_date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "clock_time": re.compile(r"\b\d{1,2}:\d{2}\b"),
    "price": re.compile(r"\$\d"),
    "percent": re.compile(r"\d%"),
    "order_or_ref_no": re.compile(r"#[A-Z]*-?\d+|\border number \d|\bmember ID \d"),
    "isbn": re.compile(r"\bISBN\b"),
    "measurement": re.compile(r"\b\d+(?:\.\d+)?\s?(?:km|cm|mm|kg|lb|mL|ml|L|m²|°C|°F)\b"),
}


def all_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from all_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from all_strings(v)


def norm(s):
    return " ".join(s.lower().split())


def shingles(s, k=3):
    w = re.findall(r"[a-z0-9']+", s.lower())
    return {" ".join(w[i:i + k]) for i in range(max(1, len(w) - k + 1))}


def validate():
    def load(name):
        rows = []
        with open(os.path.join(HERE, name), encoding="utf-8") as f:
            for ln, line in enumerate(f, 1):
                assert line.endswith("\n"), (name, ln)
                rows.append(json.loads(line))
        return rows

    train = {n_: load(f"{n_}.jsonl") for n_ in ("human", "synthetic")}
    mc = load("eval_mc.jsonl")
    arena = load("arena_prompts.jsonl")
    seeds = load("seed_tasks.jsonl")

    # --- training schema and role alternation
    ids = set()
    for name, rows in train.items():
        for r in rows:
            assert set(r) == {"id", "task", "messages"}, r.keys()
            assert isinstance(r["id"], str) and r["id"] not in ids, r["id"]
            ids.add(r["id"])
            assert isinstance(r["task"], str) and r["task"]
            msgs = r["messages"]
            assert isinstance(msgs, list) and len(msgs) >= 2
            body = msgs[1:] if msgs[0]["role"] == "system" else msgs
            assert len(body) >= 2 and len(body) % 2 == 0, r["id"]
            for i, m in enumerate(body):
                assert set(m) == {"role", "content"}, r["id"]
                assert m["role"] == ("user" if i % 2 == 0 else "assistant"), r["id"]
            for m in msgs:
                assert m["role"] in ("system", "user", "assistant")
                assert isinstance(m["content"], str) and m["content"].strip(), r["id"]
                assert m["content"] == m["content"].strip(), ("untrimmed content", r["id"])
            assert msgs[-1]["role"] == "assistant"
            assert sum(m["role"] == "system" for m in msgs) <= 1 and all(m["role"] != "system" for m in msgs[1:])

    # --- duplicate user prompts: within each file and across both files
    seen = {}
    for name, rows in train.items():
        for r in rows:
            for m in r["messages"]:
                if m["role"] == "user":
                    key = norm(m["content"])
                    assert key not in seen, ("duplicate user prompt", r["id"], seen.get(key), m["content"][:80])
                    seen[key] = r["id"]
    train_prompts = list(seen)

    # --- eval and arena must not leak into training prompts
    for it in mc:
        assert set(it) == {"query", "choices", "gold"}
        assert isinstance(it["choices"], list) and len(it["choices"]) == 4
        assert len({norm(c) for c in it["choices"]}) == 4, it
        assert all(isinstance(c, str) and c.strip() for c in it["choices"])
        assert isinstance(it["gold"], int) and 0 <= it["gold"] <= 3
        q = norm(it["query"])
        assert all(q not in p for p in train_prompts), ("eval query leaks into training", it["query"])
    gold_counts = Counter(it["gold"] for it in mc)
    assert max(gold_counts.values()) - min(gold_counts.values()) <= 1, gold_counts
    assert len({norm(it["query"] + " ".join(it["choices"])) for it in mc}) == len(mc)
    for a in arena:
        assert set(a) == {"id", "category", "turns", "reference", "answer"}
        assert len(a["turns"]) == 2 and all(t.strip() for t in a["turns"]) and a["reference"].strip()
        assert a["answer"] is None or (isinstance(a["answer"], str) and re.fullmatch(r"-?\d+(\.\d+)?", a["answer"]))
        for t in a["turns"]:
            assert all(norm(t) not in p for p in train_prompts), ("arena turn leaks into training", t)
    assert len({a["id"] for a in arena}) == len(arena)
    for s_ in seeds:
        assert set(s_) == {"id", "name", "instruction", "instances", "is_classification"}
        assert re.fullmatch(r"[a-z0-9_]+", s_["name"]) and s_["instruction"].strip()
        assert isinstance(s_["is_classification"], bool) and len(s_["instances"]) >= 1
        for inst in s_["instances"]:
            assert set(inst) == {"input", "output"} and isinstance(inst["input"], str) and inst["output"].strip()
        assert all(norm(s_["instruction"]) not in p for p in train_prompts)
    assert len({s_["name"] for s_ in seeds}) == len(seeds)

    # --- PII-shaped strings must not appear anywhere
    for fname, rows in [("human.jsonl", train["human"]), ("synthetic.jsonl", train["synthetic"]),
                        ("eval_mc.jsonl", mc), ("arena_prompts.jsonl", arena), ("seed_tasks.jsonl", seeds)]:
        for r in rows:
            for text in all_strings(r):
                for kind, pat in PII_PATTERNS.items():
                    mt = pat.search(text)
                    assert not mt, (fname, kind, mt.group(0), text[:80])

    # ---------------------------------------------------------------- report
    def words(r):
        return sum(len(m["content"].split()) for m in r["messages"])

    print("== training files")
    for name, rows in train.items():
        wl = [words(r) for r in rows]
        multi = sum(sum(m["role"] == "user" for m in r["messages"]) > 1 for r in rows)
        sysn = sum(r["messages"][0]["role"] == "system" for r in rows)
        in_range = sum(20 <= w <= 200 for w in wl)
        print(f"{name}.jsonl: {len(rows)} rows, {multi} multi-turn, {sysn} with a system message; "
              f"words/row mean {statistics.mean(wl):.1f}, min {min(wl)}, max {max(wl)}, "
              f"{in_range} rows ({100 * in_range / len(rows):.0f}%) within 20-200 words")
        aw = [len(m["content"].split()) for r in rows for m in r["messages"] if m["role"] == "assistant"]
        print(f"   assistant-turn words: mean {statistics.mean(aw):.1f}, median {statistics.median(aw)}")
    kinds = [k for k, _, _ in GENERATORS]
    print("\n== rows per task kind")
    print(f"{'task':22s} {'human':>6s} {'synth':>6s} {'total':>6s}")
    ch, cs = Counter(r["task"] for r in train["human"]), Counter(r["task"] for r in train["synthetic"])
    for k in kinds:
        print(f"{k:22s} {ch[k]:6d} {cs[k]:6d} {ch[k] + cs[k]:6d}")
    print(f"{'TOTAL':22s} {sum(ch.values()):6d} {sum(cs.values()):6d} {sum(ch.values()) + sum(cs.values()):6d}")

    print("\n== PII look-alikes (rows containing at least one; these are intended and harmless)")
    for name, rows in train.items():
        per = Counter()
        anyc = 0
        for r in rows:
            text = "\n".join(m["content"] for m in r["messages"])
            hit = [k for k, p in LOOKALIKE_PATTERNS.items() if p.search(text)]
            per.update(hit)
            anyc += bool(hit)
        unusual = sum(1 for r in rows if any(LOOKALIKE_PATTERNS[k].search("\n".join(m["content"] for m in r["messages"]))
                                             for k in ("version", "isbn", "order_or_ref_no")))
        print(f"{name}: {anyc} rows with any; {unusual} with versions/ISBN/order numbers; by kind {dict(sorted(per.items()))}")

    print("\n== near-duplicate check on first user turns (word 3-gram Jaccard)")
    firsts = []
    for name, rows in train.items():
        for r in rows:
            u = next(m["content"] for m in r["messages"] if m["role"] == "user")
            firsts.append((r["id"], r["task"], u, shingles(u)))
    pairs = []
    for i in range(len(firsts)):
        for j in range(i + 1, len(firsts)):
            a, b = firsts[i][3], firsts[j][3]
            jac = len(a & b) / len(a | b)
            if jac >= 0.6:
                pairs.append((jac, firsts[i], firsts[j]))
    pairs.sort(key=lambda t: -t[0])
    print(f"pairs with Jaccard >= 0.6: {len(pairs)}; >= 0.8: {sum(p[0] >= 0.8 for p in pairs)}")
    for jac, a, b in pairs[:5]:
        print(f"  {jac:.2f} {a[0]} | {b[0]}: {a[2][:70]!r} ~ {b[2][:70]!r}")

    print("\n== other files")
    print(f"eval_mc.jsonl: {len(mc)} items, gold distribution {dict(sorted(gold_counts.items()))}")
    print(f"arena_prompts.jsonl: {len(arena)} prompts, categories {dict(Counter(a['category'] for a in arena))}, "
          f"{sum(a['answer'] is not None for a in arena)} with numeric answers")
    print(f"seed_tasks.jsonl: {len(seeds)} tasks, {sum(s_['is_classification'] for s_ in seeds)} classification")
    print("\nall checks passed")
    return train, mc, arena, seeds


# ==========================================================================
# README (generated, so the counts always match the files)
# ==========================================================================

KIND_BLURBS = {
    "arithmetic": "multi-step word problems (shopping, rates, ratios, areas...); answers end with the number",
    "unit_conversion": "metric/imperial, temperature, time and speed conversions with exact factors",
    "date_arithmetic": "weekdays of dates, adding/subtracting days, days between dates, ages, leap years, clock times",
    "string_manipulation": "reversing, case changes, counting letters/vowels/words, acronyms, palindromes, snake/camelCase",
    "sorting": "numbers, words, prices, dates, version numbers, planets, units; medians and de-duplication",
    "factual_qa": "capitals, chemical elements, planets, basic science and history",
    "definition": "common words and concepts, from \"photosynthesis\" to \"compound interest\"",
    "classification": "sentiment, headline topic and spam/not-spam labels for sentences written here",
    "rewriting": "formal/informal tone, passive to active, grammar fixes, concision, simplification, politeness",
    "summarization": "one-sentence summaries, TL;DRs and key points for original paragraphs",
    "coding": "short Python functions, \"what does this print\", bug fixes (all examples executed)",
    "brainstorming": "tips and idea lists (sleep, budgeting, names, activities...)",
    "how_to": "recipes and step-by-step instructions",
    "email_drafting": "emails and short letters whose details all come from the prompt",
}


def write_readme(train, mc, arena, seeds):
    ch = Counter(r["task"] for r in train["human"])
    cs = Counter(r["task"] for r in train["synthetic"])

    def words(r):
        return sum(len(m["content"].split()) for m in r["messages"])

    def aw(rows):
        return statistics.mean(len(m["content"].split()) for r in rows for m in r["messages"] if m["role"] == "assistant")

    def multi(rows):
        return sum(sum(m["role"] == "user" for m in r["messages"]) > 1 for r in rows)

    def sysn(rows):
        return sum(r["messages"][0]["role"] == "system" for r in rows)

    h, s_ = train["human"], train["synthetic"]
    table = "\n".join(f"| `{k}` | {ch[k]} | {cs[k]} | {ch[k] + cs[k]} | {KIND_BLURBS[k]} |" for k, _, _ in GENERATORS)
    cats = Counter(a["category"] for a in arena)
    text = f"""# sft-ablate sample data

Small, self-contained datasets bundled with sft-ablate so that the default
training job, the local benchmark and the judge arena run with no network
access. Everything here was written for this project (nothing is copied from
other datasets) and is released under the project's license, **Apache-2.0**.

All files are UTF-8 JSON Lines (one JSON object per line) and are produced by
`scripts/build_sample_data.py` in the repository (not shipped in the wheel), which also validates them. Regenerate with:

```bash
python3 scripts/build_sample_data.py
```

The script uses only the Python standard library and a fixed seed
(`random.Random(0)`), so the output is byte-for-byte reproducible.

## Files

| File | Rows | What it is |
|---|---|---|
| `human.jsonl` | {len(h)} | SFT conversations with concise, plainly worded "human-style" answers |
| `synthetic.jsonl` | {len(s_)} | SFT conversations with verbose, structured "teacher-model-style" answers |
| `eval_mc.jsonl` | {len(mc)} | 4-way multiple-choice items for the small local benchmark |
| `arena_prompts.jsonl` | {len(arena)} | two-turn open-ended prompts with reference answers for the pairwise LLM-judge arena |
| `seed_tasks.jsonl` | {len(seeds)} | seed tasks for self-instruct-style synthetic data generation |
| `../../scripts/build_sample_data.py` | | the generator and validator |

### `human.jsonl` and `synthetic.jsonl`

```json
{{"id": "human-0001", "task": "unit_conversion",
 "messages": [{{"role": "system", "content": "..."}},
              {{"role": "user", "content": "..."}},
              {{"role": "assistant", "content": "..."}}]}}
```

- The system message is optional ({sysn(h)} human rows and {sysn(s_)} synthetic rows have one).
- After it, roles alternate `user`/`assistant`, the last turn is always `assistant`, and no content is empty.
- {multi(h)} human rows and {multi(s_)} synthetic rows (about 10%) are multi-turn, with a second user turn
  (a follow-up such as "What about 42.195 km?" or "Make it less formal").
- `task` is one of the 14 task kinds below. The kinds form clear clusters, so a diversity
  selector can choose "few clusters" or "many clusters".
- No user prompt appears twice, within a file or across the two files.

**The style difference is the point of the pair.** Both files are drawn from the same pool
of tasks and prompt phrasings, and every answer in both files is correct; only the assistant
voice differs:

- `human`: short, direct and plain, sometimes terse ("Canberra.", a bare sorted list, a
  one-line calculation followed by `Answer: 31`). Mean assistant turn: {aw(h):.1f} words.
- `synthetic`: reads like a teacher LLM: an optional "Sure!"-style opener, a short intro
  sentence, numbered steps or bullet points, bold key terms, and a closing line. Arithmetic
  answers end with `**Final answer:** <number>`. Mean assistant turn: {aw(s_):.1f} words.

Whole rows (all turns) average {statistics.mean(words(r) for r in h):.0f} words in `human.jsonl`
and {statistics.mean(words(r) for r in s_):.0f} in `synthetic.jsonl`. Most rows are 20–200 words;
a few summarization, how-to and email rows are longer (the longest has {max(words(r) for r in h + s_)} words).
Because the human style is terse, {sum(words(r) < 20 for r in h)} human rows ({100 * sum(words(r) < 20 for r in h) / len(h):.0f}%)
are under 20 words; {sum(words(r) < 20 for r in s_)} synthetic rows are.

Rows per task kind:

| Task kind | human | synthetic | total | Contents |
|---|---|---|---|---|
{table}
| **total** | **{len(h)}** | **{len(s_)}** | **{len(h) + len(s_)}** | |

### `eval_mc.jsonl`

```json
{{"query": "What is the capital of Norway?", "choices": ["Stockholm", "Oslo", "Copenhagen", "Bergen"], "gold": 1}}
```

{len(mc)} items with exactly four choices and one correct answer: facts (20), arithmetic word
problems (14), unit conversions (12) and classification (sentiment and headline topic, 14).
The gold index is balanced ({", ".join(f"{k}: {v}" for k, v in sorted(Counter(m["gold"] for m in mc).items()))}).
The facts, sentences and numbers differ from the training pools, and no query appears inside
any training prompt. Numeric answers and their distractors (common mistakes such as the
inverse conversion) are computed.

### `arena_prompts.jsonl`

```json
{{"id": "arena-001", "category": "writing", "turns": ["first user turn", "follow-up turn"],
 "reference": "reference answer to the first turn", "answer": null}}
```

{len(arena)} prompts, each with two user turns, in the categories
{", ".join(f"{k} ({v})" for k, v in cats.items())}. `reference` is a good answer to the first
turn. `answer` is the exact numeric answer, as a string, for the {sum(a["answer"] is not None for a in arena)}
math word problems (computed in code), and `null` otherwise. None of these turns appear in the
training prompts.

### `seed_tasks.jsonl`

```json
{{"id": "seed_task_0", "name": "synonym_finder", "instruction": "Give three synonyms for the given word.",
 "instances": [{{"input": "happy", "output": "joyful, cheerful, content"}}], "is_classification": false}}
```

{len(seeds)} varied seed tasks in the same schema as the public self-instruct seed set
({sum(x["is_classification"] for x in seeds)} are classification tasks). `input` may be empty.

## How it was made

`scripts/build_sample_data.py` contains hand-written material (a fact bank, definitions, sentences to classify,
sentences to rewrite, original paragraphs to summarize, code snippets, tip lists, recipes and
how-to steps, email scenarios, several phrasings per task kind) plus templates for the computed
task kinds. Every computed answer is produced by code:

- arithmetic with exact `fractions.Fraction` and `decimal` rounding;
- unit conversions from exact definitions (1 mile = 1.609344 km, 1 lb = 0.45359237 kg, ...);
- dates, weekdays and clock times with `datetime` and `calendar`;
- string operations, sorting, medians and version ordering with Python itself;
- every example output shown in a coding answer comes from running that snippet.

The two voices are rendered from the same underlying item, so the human and synthetic
versions of a task are equally correct. Each item is placed in only one of the two files.

The script then validates everything and prints a summary: JSON parses per line; schema and
role alternation; no empty content; no duplicate user prompts within or across files; no eval
query or arena turn contained in any training prompt; valid, balanced gold indices; and no string
matching simple patterns for email addresses, phone numbers, IPv4 addresses, 13–16 digit
card-like numbers or `sk-`/`hf_`-style keys.

## Notes

- **PII look-alikes are intentional.** Some rows contain strings that resemble sensitive data
  but are not: version numbers (`v2.3.1`, `3.11.4`), ISO dates (`2024-03-15`), clock times,
  prices, percentages, an ISBN-10, order and reservation numbers (`#58213`, `#HT-7782`) and
  measurements. They are there to check that PII filters do not over-trigger. There are no
  email addresses, phone numbers, card numbers, IP addresses or API keys anywhere.
- People, companies, products and places in scenarios (for example "Tidewater", "Brightmix 500",
  "Larchmont Falls") are invented. Real-world facts are limited to well-established ones.
- All text is English.
"""
    with open(os.path.join(HERE, "README.md"), "w", encoding="utf-8") as f:
        f.write(text)


def main():
    train = build_training()
    write_jsonl(os.path.join(HERE, "human.jsonl"), train["human"])
    write_jsonl(os.path.join(HERE, "synthetic.jsonl"), train["synthetic"])
    write_jsonl(os.path.join(HERE, "eval_mc.jsonl"), gen_eval_mc())
    write_jsonl(os.path.join(HERE, "arena_prompts.jsonl"), gen_arena())
    write_jsonl(os.path.join(HERE, "seed_tasks.jsonl"), gen_seed_tasks())
    write_readme(*validate())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generate the toy English-French parallel corpus in data/toy/.

The corpus is produced by a small hand-written grammar and lexicon (all of it
in this file).  The French side has real agreement: gender and number of
determiners and adjectives, adjective position, elision (l', d', n', j', qu'),
the contractions au/aux/du/des, cet/bel/vieil/nouvel before a vowel,
mon/ton/son before a feminine noun starting with a vowel, "de" instead of
"des" before a plural adjective and after a negation, past-participle
agreement with "être", and so on.

Output is deterministic: the same --seed gives byte-identical files.  Only
random.Random(seed), lists and insertion-ordered dicts are used; nothing
depends on set iteration order or on string hashing.

Usage:
    scripts/gen-toy-corpus.py [--out DIR] [--seed N]

Writes DIR/{train,valid,test}.{en,fr} (default DIR: <repo>/data/toy).

    scripts/gen-toy-corpus.py --out DIR --stream N [--seed N]

writes N training pairs to DIR/train.{en,fr} as they are generated, in constant
memory and with repeats allowed: a corpus of WMT size (36M pairs) for timing
`nmt prepare` and training at scale.
"""

import argparse
import random
import sys
from pathlib import Path

N_TRAIN, N_VALID, N_TEST = 6000, 300, 300
MIN_WORDS, MAX_WORDS = 3, 15

# Words starting with one of these letters take elided/"vowel" forms in
# French.  Every h-word in the lexicon has a mute h (homme, hôpital, habiter,
# heureux), so h counts as a vowel here.
FR_VOWELS = "aàâäeéèêëiîïoôöuùûüyœh"
EN_VOWELS = "aeiou"


def fr_vowel(word):
    return bool(word) and word[0].lower() in FR_VOWELS


def en_vowel(word):
    return bool(word) and word[0].lower() in EN_VOWELS


# ---------------------------------------------------------------------------
# Lexicon: nouns
# ---------------------------------------------------------------------------
# en | en plural | fr | fr plural | gender | size | tags
# "-" as plural marks a mass noun (singular only).
# size: H human, B big animal, A small animal, W bird, S small object or
#       count food, M mass noun, V vehicle, F furniture, - not movable.
# tag nopos: no possessive determiner (avoids "my beach", "her man").
# tag sgonly: always singular (avoids "his mothers").
NOUN_DATA = """
man|men|homme|hommes|m|H|hum agent nopos
woman|women|femme|femmes|f|H|hum agent nopos
child|children|enfant|enfants|m|H|hum agent kid
boy|boys|garçon|garçons|m|H|hum agent kid nopos
girl|girls|fille|filles|f|H|hum agent kid nopos
teacher|teachers|professeur|professeurs|m|H|hum agent role
student|students|étudiant|étudiants|m|H|hum agent role
friend|friends|ami|amis|m|H|hum agent role
doctor|doctors|médecin|médecins|m|H|hum agent role
nurse|nurses|infirmière|infirmières|f|H|hum agent role
mother|mothers|mère|mères|f|H|hum agent fam sgonly
father|fathers|père|pères|m|H|hum agent fam sgonly
sister|sisters|sœur|sœurs|f|H|hum agent fam
brother|brothers|frère|frères|m|H|hum agent fam
baby|babies|bébé|bébés|m|H|hum baby
cat|cats|chat|chats|m|A|ani pet bw anifood
dog|dogs|chien|chiens|m|A|ani pet bw
bird|birds|oiseau|oiseaux|m|W|ani pet bw bright
horse|horses|cheval|chevaux|m|B|ani pet bw
mouse|mice|souris|souris|f|A|ani pet bw
cow|cows|vache|vaches|f|B|ani bw
rabbit|rabbits|lapin|lapins|m|A|ani pet bw
hen|hens|poule|poules|f|A|ani bw
book|books|livre|livres|m|S|thing port buy open close read write have
letter|letters|lettre|lettres|f|S|thing port open read write
newspaper|newspapers|journal|journaux|m|S|thing port buy read
car|cars|voiture|voitures|f|V|thing buy clean color have
bicycle|bicycles|vélo|vélos|m|V|thing buy clean color have
boat|boats|bateau|bateaux|m|V|thing buy color have
bus|buses|bus|bus|m|V|thing wait nopos
train|trains|train|trains|m|V|thing wait nopos
table|tables|table|tables|f|F|thing buy clean color
chair|chairs|chaise|chaises|f|F|thing buy clean color
bed|beds|lit|lits|m|F|thing buy clean
flower|flowers|fleur|fleurs|f|S|thing port buy color
window|windows|fenêtre|fenêtres|f|-|thing open close clean
door|doors|porte|portes|f|-|thing open close clean color
key|keys|clé|clés|f|S|thing port have
bag|bags|sac|sacs|m|S|thing port buy open close color have
hat|hats|chapeau|chapeaux|m|S|thing port buy color have
pen|pens|stylo|stylos|m|S|thing port buy color have
computer|computers|ordinateur|ordinateurs|m|S|thing port buy have
tree|trees|arbre|arbres|m|-|thing tree
park|parks|parc|parcs|m|-|place nopos
school|schools|école|écoles|f|-|place
garden|gardens|jardin|jardins|m|-|place clean
house|houses|maison|maisons|f|-|place clean buy have color
market|markets|marché|marchés|m|-|place nopos
station|stations|gare|gares|f|-|place nopos
hospital|hospitals|hôpital|hôpitaux|m|-|place nopos
beach|beaches|plage|plages|f|-|place nopos
library|libraries|bibliothèque|bibliothèques|f|-|place nopos
museum|museums|musée|musées|m|-|place nopos
church|churches|église|églises|f|-|place nopos
office|offices|bureau|bureaux|m|-|place clean
kitchen|kitchens|cuisine|cuisines|f|-|place clean
street|streets|rue|rues|f|-|place clean nopos
city|cities|ville|villes|f|-|place nopos
forest|forests|forêt|forêts|f|-|place nopos
apple|apples|pomme|pommes|f|S|food port buy rg anifood
cake|cakes|gâteau|gâteaux|m|S|food port buy make
orange|oranges|orange|oranges|f|S|food port buy
egg|eggs|œuf|œufs|m|S|food port buy
banana|bananas|banane|bananes|f|S|food port buy
sandwich|sandwiches|sandwich|sandwichs|m|S|food port buy make
bread|-|pain|-|m|M|mass eatm buy anifood
water|-|eau|-|f|M|mass drink temp anidrink buy
milk|-|lait|-|m|M|mass drink temp anidrink buy
coffee|-|café|-|m|M|mass drink temp make buy
tea|-|thé|-|m|M|mass drink temp make buy
orange juice|-|jus d'orange|-|m|M|mass drink buy make
soup|-|soupe|-|f|M|mass eatm temp make
cheese|-|fromage|-|m|M|mass eatm buy anifood
rice|-|riz|-|m|M|mass eatm buy make
meat|-|viande|-|f|M|mass eatm buy anifood
"""


class Noun:
    def __init__(self, line):
        en, en_pl, fr, fr_pl, g, size, tags = line.split("|")
        self.key = en
        self.en = en
        self.mass = en_pl == "-"
        self.en_pl = None if self.mass else en_pl
        self.fr = fr
        self.fr_pl = None if self.mass else fr_pl
        self.g = g
        self.size = None if size == "-" else size
        self.tags = tuple(tags.split())

    def has(self, *tags):
        return any(t in self.tags for t in tags)

    def __repr__(self):
        return "Noun(%s)" % self.key


NOUNS = [Noun(l) for l in NOUN_DATA.strip().splitlines()]
N = {n.key: n for n in NOUNS}


# ---------------------------------------------------------------------------
# Lexicon: adjectives
# ---------------------------------------------------------------------------
# key | en | en before a human noun | m.sg | m.sg before vowel | f.sg | m.pl |
# f.pl | pre/post | tags allowed attributively | tags allowed as predicate |
# nouns excluded
ADJ_DATA = """
small|small|little|petit|-|petite|petits|petites|pre|ani thing place food hum|ani thing place food hum|friend baby
big|big|-|grand|-|grande|grands|grandes|pre|ani thing place food|ani thing place food|
tall|tall|-|grand|-|grande|grands|grandes|pre||hum|baby child
beautiful|beautiful|-|beau|bel|belle|beaux|belles|pre|ani thing place|ani thing place|bus train
old|old|-|vieux|vieil|vieille|vieux|vieilles|pre|hum ani thing place|hum ani thing place|baby child boy girl student
young|young|-|jeune|-|jeune|jeunes|jeunes|pre|hum ani|hum ani|baby child
good|good|-|bon|-|bonne|bons|bonnes|pre|food read role|food read eatm drink|
new|new|-|nouveau|nouvel|nouvelle|nouveaux|nouvelles|pre|thing place role||tree
brandnew|new|-|neuf|-|neuve|neufs|neuves|post||have|
white|white|-|blanc|-|blanche|blancs|blanches|post|color bw|color bw|
black|black|-|noir|-|noire|noirs|noires|post|color bw|color bw|
red|red|-|rouge|-|rouge|rouges|rouges|post|color bright rg|color bright rg|
green|green|-|vert|-|verte|verts|vertes|post|color bright rg|color bright rg|
blue|blue|-|bleu|-|bleue|bleus|bleues|post|color bright|color bright|
happy|happy|-|heureux|-|heureuse|heureux|heureuses|post|hum ani|hum ani|
sad|sad|-|triste|-|triste|tristes|tristes|post|hum ani|hum ani|
tired|tired|-|fatigué|-|fatiguée|fatigués|fatiguées|post|hum ani|hum ani|
sick|sick|-|malade|-|malade|malades|malades|post|hum ani|hum ani|
intelligent|intelligent|-|intelligent|-|intelligente|intelligents|intelligentes|post|hum ani|hum ani|
expensive|expensive|-|cher|-|chère|chers|chères|post|buy|buy|
clean|clean|-|propre|-|propre|propres|propres|post|clean ani|clean ani|
dirty|dirty|-|sale|-|sale|sales|sales|post|clean ani|clean ani|
quiet|quiet|-|calme|-|calme|calmes|calmes|post|place ani hum|place ani hum|
hot|hot|-|chaud|-|chaude|chauds|chaudes|post||temp|
cold|cold|-|froid|-|froide|froids|froides|post||temp|
"""


class Adj:
    def __init__(self, line):
        f = line.split("|")
        self.key = f[0]
        self.en = f[1]
        self.en_hum = f[2] if f[2] != "-" else f[1]
        self.ms, self.ms_v, self.fs, self.mp, self.fp = f[3:8]
        if self.ms_v == "-":
            self.ms_v = self.ms
        self.pre = f[8] == "pre"
        self.attr_tags = tuple(f[9].split())
        self.pred_tags = tuple(f[10].split())
        self.exclude = tuple(f[11].split())

    def ok(self, noun, pred=False):
        if noun.key in self.exclude:
            return False
        tags = self.pred_tags if pred else self.attr_tags
        return any(t in tags for t in noun.tags)

    def ok_pron(self):
        # pronoun subjects (I, you, he, she, we, they) are people
        return "hum" in self.pred_tags

    def fr_form(self, g, n, next_word=None):
        if n == "s":
            if g == "m":
                if self.pre and next_word is not None and fr_vowel(next_word):
                    return self.ms_v
                return self.ms
            return self.fs
        return self.mp if g == "m" else self.fp

    def en_form(self, noun=None):
        if noun is not None and noun.has("hum"):
            return self.en_hum
        return self.en


ADJS = [Adj(l) for l in ADJ_DATA.strip().splitlines()]


# ---------------------------------------------------------------------------
# Lexicon: verbs
# ---------------------------------------------------------------------------
def er(stem, nous=None):
    """Present tense of a regular -er verb."""
    return [stem + "e", stem + "es", stem + "e", nous or stem + "ons",
            stem + "ez", stem + "ent"]


def imparfait(stem):
    return [stem + e for e in ("ais", "ais", "ait", "ions", "iez", "aient")]


class Verb:
    def __init__(self, en, fr, pres, pp, aux="avoir", imp=None):
        # en: (base, 3rd person singular, simple past); may be multi-word
        self.en_base, self.en_s3, self.en_past = en
        self.fr = fr
        self.pres = pres
        self.pp = pp
        self.aux = aux
        # if set, the English simple past is rendered with the imparfait
        # (state verbs: être, avoir, habiter, connaître)
        self.imp = imp


V = {}


def verb(key, en, pres, pp, aux="avoir", imp=None):
    V[key] = Verb(en, key, pres, pp, aux, imp)


verb("être", ("be", "is", "was"),
     ["suis", "es", "est", "sommes", "êtes", "sont"], "été",
     imp=imparfait("ét"))
verb("avoir", ("have", "has", "had"),
     ["ai", "as", "a", "avons", "avez", "ont"], "eu", imp=imparfait("av"))
verb("dormir", ("sleep", "sleeps", "slept"),
     ["dors", "dors", "dort", "dormons", "dormez", "dorment"], "dormi")
verb("courir", ("run", "runs", "ran"),
     ["cours", "cours", "court", "courons", "courez", "courent"], "couru")
verb("jouer", ("play", "plays", "played"), er("jou"), "joué")
verb("travailler", ("work", "works", "worked"), er("travaill"), "travaillé")
verb("chanter", ("sing", "sings", "sang"), er("chant"), "chanté")
verb("danser", ("dance", "dances", "danced"), er("dans"), "dansé")
verb("manger", ("eat", "eats", "ate"), er("mang", "mangeons"), "mangé")
verb("boire", ("drink", "drinks", "drank"),
     ["bois", "bois", "boit", "buvons", "buvez", "boivent"], "bu")
verb("voir", ("see", "sees", "saw"),
     ["vois", "vois", "voit", "voyons", "voyez", "voient"], "vu")
verb("lire", ("read", "reads", "read"),
     ["lis", "lis", "lit", "lisons", "lisez", "lisent"], "lu")
verb("écrire", ("write", "writes", "wrote"),
     ["écris", "écris", "écrit", "écrivons", "écrivez", "écrivent"], "écrit")
verb("prendre", ("take", "takes", "took"),
     ["prends", "prends", "prend", "prenons", "prenez", "prennent"], "pris")
verb("aimer", ("like", "likes", "liked"), er("aim"), "aimé")
verb("regarder", ("watch", "watches", "watched"), er("regard"), "regardé")
verb("acheter", ("buy", "buys", "bought"),
     ["achète", "achètes", "achète", "achetons", "achetez", "achètent"],
     "acheté")
verb("chercher", ("look for", "looks for", "looked for"), er("cherch"),
     "cherché")
verb("trouver", ("find", "finds", "found"), er("trouv"), "trouvé")
verb("ouvrir", ("open", "opens", "opened"),
     ["ouvre", "ouvres", "ouvre", "ouvrons", "ouvrez", "ouvrent"], "ouvert")
verb("fermer", ("close", "closes", "closed"), er("ferm"), "fermé")
verb("faire", ("make", "makes", "made"),
     ["fais", "fais", "fait", "faisons", "faites", "font"], "fait")
verb("attendre", ("wait for", "waits for", "waited for"),
     ["attends", "attends", "attend", "attendons", "attendez", "attendent"],
     "attendu")
verb("nettoyer", ("clean", "cleans", "cleaned"),
     ["nettoie", "nettoies", "nettoie", "nettoyons", "nettoyez", "nettoient"],
     "nettoyé")
verb("finir", ("finish", "finishes", "finished"),
     ["finis", "finis", "finit", "finissons", "finissez", "finissent"], "fini")
verb("choisir", ("choose", "chooses", "chose"),
     ["choisis", "choisis", "choisit", "choisissons", "choisissez",
      "choisissent"], "choisi")
verb("connaître", ("know", "knows", "knew"),
     ["connais", "connais", "connaît", "connaissons", "connaissez",
      "connaissent"], "connu", imp=imparfait("connaiss"))
verb("aider", ("help", "helps", "helped"), er("aid"), "aidé")
verb("appeler", ("call", "calls", "called"),
     ["appelle", "appelles", "appelle", "appelons", "appelez", "appellent"],
     "appelé")
verb("porter", ("carry", "carries", "carried"), er("port"), "porté")
verb("vendre", ("sell", "sells", "sold"),
     ["vends", "vends", "vend", "vendons", "vendez", "vendent"], "vendu")
verb("donner", ("give", "gives", "gave"), er("donn"), "donné")
verb("parler", ("talk", "talks", "talked"), er("parl"), "parlé")
verb("habiter", ("live", "lives", "lived"), er("habit"), "habité",
     imp=imparfait("habit"))
verb("aller", ("go", "goes", "went"),
     ["vais", "vas", "va", "allons", "allez", "vont"], "allé", "être")
verb("rentrer", ("go", "goes", "went"), er("rentr"), "rentré", "être")
verb("arriver", ("arrive", "arrives", "arrived"), er("arriv"), "arrivé",
     "être")
verb("revenir", ("come back", "comes back", "came back"),
     ["reviens", "reviens", "revient", "revenons", "revenez", "reviennent"],
     "revenu", "être")
verb("entrer", ("enter", "enters", "entered"), er("entr"), "entré", "être")
verb("rester", ("stay", "stays", "stayed"), er("rest"), "resté", "être")
verb("partir", ("leave", "leaves", "left"),
     ["pars", "pars", "part", "partons", "partez", "partent"], "parti",
     "être")
verb("tomber", ("fall", "falls", "fell"), er("tomb"), "tombé", "être")


# ---------------------------------------------------------------------------
# Surface realisation
# ---------------------------------------------------------------------------
def fr_join(tokens, punct):
    """Apply French elision and contraction rules, then join."""
    toks = [t for t in tokens if t]
    # 1. le/la -> l' before a vowel
    toks = [("l'" if t in ("le", "la") and i + 1 < len(toks)
             and fr_vowel(toks[i + 1]) else t) for i, t in enumerate(toks)]
    # 2. à le -> au, à les -> aux, de le -> du, de les -> des
    out = []
    i = 0
    contr = {("à", "le"): "au", ("à", "les"): "aux",
             ("de", "le"): "du", ("de", "les"): "des"}
    while i < len(toks):
        if i + 1 < len(toks) and (toks[i], toks[i + 1]) in contr:
            out.append(contr[(toks[i], toks[i + 1])])
            i += 2
        else:
            out.append(toks[i])
            i += 1
    toks = out
    # 3. other elisions before a vowel
    elide = {"de": "d'", "que": "qu'", "ne": "n'", "je": "j'",
             "ce": "cet", "ma": "mon", "ta": "ton", "sa": "son"}
    toks = [(elide[t] if t in elide and i + 1 < len(toks)
             and fr_vowel(toks[i + 1]) else t) for i, t in enumerate(toks)]
    s = ""
    for t in toks:
        if s and not s.endswith("'"):
            s += " "
        s += t
    s = s[0].upper() + s[1:]
    if punct == ".":
        return s + "."
    return s + " " + punct  # French: space before ? and !


def en_join(tokens, punct):
    toks = [t for t in tokens if t]
    toks = [("an" if t == "a" and i + 1 < len(toks) and en_vowel(toks[i + 1])
             else t) for i, t in enumerate(toks)]
    s = " ".join(toks)
    return s[0].upper() + s[1:] + punct


# ---------------------------------------------------------------------------
# Noun phrases
# ---------------------------------------------------------------------------
POSS = {
    "my": ("mon", "ma", "mes"),
    "your": ("ton", "ta", "tes"),    # "you" is always rendered as "tu"
    "his": ("son", "sa", "ses"),
    "her": ("son", "sa", "ses"),
    "our": ("notre", "notre", "nos"),
    "their": ("leur", "leur", "leurs"),
}


class NP:
    """A noun phrase.

    det: def | indef | dem | generic | none | one of POSS
         (generic: English bare plural / mass noun, French definite article,
          as in "likes cats" -> "aime les chats")
    owner: another NP (human) for English "the teacher's book"
    """

    def __init__(self, noun, num, det, adj=None, owner=None, bare=False):
        self.noun, self.num, self.det, self.adj = noun, num, det, adj
        self.owner = owner
        self.bare = bare  # mass noun with indefinite det: "bread" (not "some bread")
        self.g = noun.g
        if noun.mass:
            assert num == "s"

    def en(self, pol="aff"):
        n = self.noun
        word = n.en if self.num == "s" else n.en_pl
        toks = []
        if self.owner is not None:
            o = self.owner.en()
            last = o[-1]
            o[-1] = last + ("'" if last.endswith("s") and self.owner.num == "p" else "'s")
            toks += o
        else:
            d = self.det
            if d == "def":
                toks.append("the")
            elif d == "indef":
                if n.mass:
                    if pol == "aff" and not self.bare:
                        toks.append("some")
                elif self.num == "s":
                    toks.append("a")
                else:
                    toks.append("some" if pol == "aff" else "any")
            elif d == "dem":
                toks.append("this" if self.num == "s" else "these")
            elif d in POSS:
                toks.append(d)
        if self.adj is not None:
            toks.append(self.adj.en_form(n))
        toks += word.split()
        return toks

    def fr(self, neg=False):
        n = self.noun
        g, num = n.g, self.num
        word = n.fr if num == "s" else n.fr_pl
        adj = None
        if self.adj is not None:
            adj = self.adj.fr_form(g, num, word)
        d = "def" if self.owner is not None else self.det
        det = []
        if d in ("def", "generic"):
            det = ["les"] if num == "p" else (["le"] if g == "m" else ["la"])
        elif d == "indef":
            if neg:
                det = ["de"]
            elif n.mass:
                det = ["de", "le" if g == "m" else "la"]
            elif num == "s":
                det = ["un" if g == "m" else "une"]
            else:
                det = ["de"] if adj is not None and self.adj.pre else ["des"]
        elif d == "dem":
            det = ["ces"] if num == "p" else (["ce"] if g == "m" else ["cette"])
        elif d in POSS:
            f = POSS[d]
            det = [f[2] if num == "p" else (f[0] if g == "m" else f[1])]
        if adj is None:
            body = [word]
        elif self.adj.pre:
            body = [adj, word]
        else:
            body = [word, adj]
        toks = det + body
        if self.owner is not None:
            toks += ["de"] + self.owner.fr()
        return toks


def pick(rng, items):
    return items[rng.randrange(len(items))]


def wpick(rng, pairs):
    """Weighted pick from a list of (item, weight)."""
    total = sum(w for _, w in pairs)
    r = rng.random() * total
    for item, w in pairs:
        r -= w
        if r < 0:
            return item
    return pairs[-1][0]


DET_SUBJ = [("def", 45), ("indef", 10), ("dem", 12), ("my", 10), ("your", 4),
            ("his", 5), ("her", 5), ("our", 4), ("their", 3)]
DET_OBJ = [("def", 32), ("indef", 34), ("dem", 10), ("my", 8), ("your", 4),
           ("his", 4), ("her", 4), ("our", 2), ("their", 2)]
DET_LANDMARK = [("def", 70), ("dem", 8), ("my", 8), ("his", 4), ("her", 4),
                ("our", 3), ("your", 3)]
DET_SPECIFIC = [("def", 50), ("dem", 12), ("my", 14), ("your", 5),
                ("his", 7), ("her", 7), ("our", 3), ("their", 2)]


def make_np(rng, noun, dets=DET_OBJ, num=None, adj_p=0.3, pred_adj=False,
            allow_indef=True, allow_pl=True):
    if num is None:
        num = "s" if (noun.mass or noun.has("sgonly") or not allow_pl
                      or rng.random() < 0.62) else "p"
    dl = [(d, w) for d, w in dets if allow_indef or d != "indef"]
    if noun.has("nopos"):
        dl = [(d, w) for d, w in dl if d not in POSS]
    if noun.mass:
        dl = [(d, w) for d, w in dl if d != "generic"]
    det = wpick(rng, dl)
    adj = None
    if not noun.mass and rng.random() < adj_p:
        cands = [a for a in ADJS if a.ok(noun)]
        if cands:
            adj = pick(rng, cands)
    return NP(noun, num, det, adj, bare=rng.random() < 0.5)


def nouns_where(pred):
    return [n for n in NOUNS if pred(n)]


# ---------------------------------------------------------------------------
# Subjects
# ---------------------------------------------------------------------------
class Subj:
    def __init__(self, en, fr, agr, idx, g, num, sizes, nouns, pron=None):
        self.en, self.fr = en, fr
        self.agr = agr        # English agreement: 1s 2s 3s p
        self.idx = idx        # French person index 0..5
        self.g, self.num = g, num
        self.sizes = sizes    # list of sizes (for locative compatibility)
        self.nouns = nouns    # nouns used (to avoid repeating them)
        self.pron = pron

    def has(self, tag):
        if self.pron:
            return tag in ("hum", "agent")
        return all(n.has(tag) for n in self.nouns)


PRONOUNS = [
    # en, fr, agr, idx, gender, number
    ("I", "je", "1s", 0, "m", "s"),
    ("you", "tu", "2s", 1, "m", "s"),
    ("he", "il", "3s", 2, "m", "s"),
    ("she", "elle", "3s", 2, "f", "s"),
    ("we", "nous", "p", 3, "m", "p"),
    ("they", "ils", "p", 5, "m", "p"),
]


def pron_subj(rng, no_I=False):
    cands = [p for p in PRONOUNS if not (no_I and p[0] == "I")]
    en, fr, agr, idx, g, num = pick(rng, cands)
    return Subj([en], [fr], agr, idx, g, num, ["H"], [], pron=en)


def np_subj(np_):
    s = np_.num
    return Subj(np_.en(), np_.fr(), "3s" if s == "s" else "p",
                2 if s == "s" else 5, np_.g, s, [np_.noun.size], [np_.noun])


def pick_subject(rng, noun_ok, pron_ok=True, coord_p=0.0, no_I=False,
                 adj_p=0.25, allow_mass=False, allow_indef=True):
    r = rng.random()
    if pron_ok and r < 0.22:
        return pron_subj(rng, no_I)
    cands = nouns_where(lambda n: noun_ok(n) and (allow_mass or not n.mass))
    if r > 1.0 - coord_p and len(cands) >= 2:
        a = pick(rng, cands)
        same = [n for n in cands if n is not a
                and n.has("hum") == a.has("hum") and n.has("ani") == a.has("ani")
                and (n.has("hum", "ani") or n.size == a.size)]
        if not same:
            return np_subj(make_np(rng, a, DET_SUBJ, adj_p=adj_p,
                                   allow_indef=allow_indef and not a.mass))
        b = pick(rng, same)
        dets = [("def", 50), ("my", 15), ("his", 6), ("her", 6), ("our", 4)]
        npa = make_np(rng, a, dets, adj_p=0.0)
        npb = make_np(rng, b, dets, adj_p=0.0)
        g = "m" if "m" in (a.g, b.g) else "f"
        return Subj(npa.en() + ["and"] + npb.en(),
                    npa.fr() + ["et"] + npb.fr(),
                    "p", 5, g, "p", [a.size, b.size], [a, b])
    n = pick(rng, cands)
    return np_subj(make_np(rng, n, DET_SUBJ, adj_p=adj_p,
                           allow_indef=allow_indef and not n.mass))


# ---------------------------------------------------------------------------
# Verb groups
# ---------------------------------------------------------------------------
def agree_pp(pp, g, num):
    if g == "f":
        pp += "e"
    if num == "p" and not pp.endswith("s"):
        pp += "s"
    return pp


def fr_vgroup(v, subj, tense, neg):
    """French conjugated verb group (with ne ... pas)."""
    if tense == "pres":
        toks = [v.pres[subj.idx]]
    elif v.imp is not None:
        toks = [v.imp[subj.idx]]
    else:
        aux = V[v.aux]
        pp = v.pp
        if v.aux == "être":
            pp = agree_pp(pp, subj.g, subj.num)
        toks = [aux.pres[subj.idx], pp]
    if neg:
        toks = ["ne", toks[0], "pas"] + toks[1:]
    return toks


def en_be(subj, tense):
    if tense == "pres":
        return {"1s": "am", "3s": "is"}.get(subj.agr, "are")
    return "was" if subj.agr in ("1s", "3s") else "were"


def en_vgroup(v, subj, tense, mode):
    """Returns (front, rest): front is the fronted auxiliary for questions."""
    if v is V["être"]:
        b = en_be(subj, tense)
        if mode == "q":
            return [b], []
        return [], [b] + (["not"] if mode == "neg" else [])
    if mode == "aff":
        if tense == "past":
            return [], v.en_past.split()
        return [], (v.en_s3 if subj.agr == "3s" else v.en_base).split()
    if tense == "past":
        do = "did"
    else:
        do = "does" if subj.agr == "3s" else "do"
    if mode == "q":
        return [do], v.en_base.split()
    return [], [do, "not"] + v.en_base.split()


def clause(subj, v, tense, mode, en_comp, fr_comp, fr_v=None):
    """Assemble a clause; returns (en_tokens, fr_tokens, punct)."""
    front, rest = en_vgroup(v, subj, tense, mode)
    fr_v = fr_vgroup(fr_v or v, subj, tense, mode == "neg")
    if mode == "q":
        en = [front[0].capitalize()] + subj.en + rest + en_comp
        fr = ["Est-ce", "que"] + subj.fr + fr_v + fr_comp
        return en, fr, "?"
    return subj.en + rest + en_comp, subj.fr + fr_v + fr_comp, "."


# ---------------------------------------------------------------------------
# Locations
# ---------------------------------------------------------------------------
# landmark -> list of (English preposition, French preposition, sizes allowed)
LANDMARKS = {
    "table": [("on", "sur", "SAWM"), ("under", "sous", "SAWH"),
              ("next to", "à côté de", "HAWF")],
    "chair": [("on", "sur", "SAWH"), ("under", "sous", "SAW"),
              ("next to", "à côté de", "HAWF")],
    "bed": [("on", "sur", "SAWH"), ("under", "sous", "SAW"),
            ("next to", "à côté de", "HF")],
    "bag": [("in", "dans", "S")],
    "car": [("in", "dans", "HAWS"), ("near", "près de", "HABWV"),
            ("behind", "derrière", "HABWV"),
            ("in front of", "devant", "HABWV")],
    "tree": [("under", "sous", "HABWSV"), ("in", "dans", "W"),
             ("near", "près de", "HABWV"), ("behind", "derrière", "HABWV")],
    "door": [("near", "près de", "HAWSF"), ("behind", "derrière", "HAW"),
             ("in front of", "devant", "HAW")],
    "window": [("near", "près de", "HAWSF"),
               ("in front of", "devant", "HAWF")],
    "house": [("in", "dans", "HAWSFM"), ("near", "près de", "HABWV"),
              ("behind", "derrière", "HABWV"),
              ("in front of", "devant", "HABWV")],
    "kitchen": [("in", "dans", "HAWSFM")],
    "garden": [("in", "dans", "HABWSF")],
    "park": [("in", "dans", "HABWS")],
    "street": [("in", "dans", "HABWV")],
    "forest": [("in", "dans", "HABW")],
    "beach": [("on", "sur", "HAWS")],
    "city": [("in", "dans", "HV")],
    "school": [("at", "à", "H"), ("near", "près de", "HABWV"),
               ("in front of", "devant", "HAV")],
    "station": [("at", "à", "HV"), ("near", "près de", "HV")],
    "market": [("at", "à", "H")],
    "hospital": [("at", "à", "H"), ("near", "près de", "HV")],
    "library": [("at", "à", "H"), ("in", "dans", "HS")],
    "museum": [("at", "à", "H")],
    "church": [("in", "dans", "H"), ("near", "près de", "HAV")],
    "office": [("at", "à", "H"), ("in", "dans", "HSF")],
    "home": [("at", "à", "HAW")],
}
PLURAL_LANDMARKS = ("tree", "house")


def landmark_np(rng, key, bare_school=False):
    """Returns (en_tokens, fr_tokens) for a landmark noun phrase.

    'home' is special: English "home", French "la maison".
    With bare_school, 'school' with "the" is English "school" (to school,
    at school, from school) but French "l'école"."""
    if key == "home":
        return ["home"], ["la", "maison"]
    noun = N[key]
    num = "p" if key in PLURAL_LANDMARKS and rng.random() < 0.2 else "s"
    np_ = make_np(rng, noun, DET_LANDMARK, num=num, adj_p=0.15)
    en = np_.en()
    if bare_school and key == "school" and np_.det == "def" \
            and np_.adj is None and np_.num == "s":
        en = ["school"]
    return en, np_.fr()


def loc_pp(rng, sizes, keys=None, exclude=(), preps=None):
    """A locative PP compatible with every size in `sizes`."""
    opts = []
    for key in LANDMARKS:
        if keys is not None and key not in keys:
            continue
        if key in exclude:
            continue
        for en_p, fr_p, ok in LANDMARKS[key]:
            if preps is not None and en_p not in preps:
                continue
            if all(s is not None and s in ok for s in sizes):
                opts.append((key, en_p, fr_p))
    if not opts:
        return None
    key, en_p, fr_p = pick(rng, opts)
    en_np, fr_np = landmark_np(rng, key, bare_school=en_p == "at")
    if key == "home" and en_p == "at":
        return ["at", "home"], ["à"] + fr_np
    return en_p.split() + en_np, fr_p.split() + fr_np


ADV_PRES = [("today", "aujourd'hui"), ("now", "maintenant"),
            ("every day", "tous les jours"), ("in the morning", "le matin"),
            ("in the evening", "le soir")]
ADV_PAST = [("yesterday", "hier"), ("today", "aujourd'hui"),
            ("last night", "hier soir"), ("this morning", "ce matin")]


def adverb(rng, tense):
    en, fr = pick(rng, ADV_PRES if tense == "pres" else ADV_PAST)
    return en.split(), fr.split()


def pick_tense(rng):
    return "pres" if rng.random() < 0.62 else "past"


def pick_mode(rng, q=0.12, neg=0.16):
    r = rng.random()
    if r < q:
        return "q"
    if r < q + neg:
        return "neg"
    return "aff"


def subj_nouns(subj):
    return tuple(n.key for n in subj.nouns)


# ---------------------------------------------------------------------------
# Sentence templates.  Each returns (en_tokens, fr_tokens, punct) or None.
# ---------------------------------------------------------------------------
def is_hum(n):
    return n.has("hum")


def is_agent(n):
    return n.has("agent")


def is_ani(n):
    return n.has("ani")


INTRANS = [
    # verb, subject filter, landmarks for an optional PP
    ("dormir", lambda n: is_hum(n) or is_ani(n),
     ("table", "chair", "bed", "car", "tree", "house", "kitchen", "garden",
      "park", "beach", "home", "hospital")),
    ("courir", lambda n: is_agent(n) or is_ani(n),
     ("park", "garden", "street", "forest", "beach", "house", "school")),
    ("jouer", lambda n: is_hum(n) or n.size in ("A", "W"),
     ("park", "garden", "street", "beach", "house", "home", "school",
      "table", "tree")),
    ("travailler", lambda n: is_agent(n) and not n.has("kid"),
     ("hospital", "school", "office", "market", "station", "library",
      "museum", "kitchen", "garden", "home", "city")),
    ("chanter", lambda n: is_agent(n) or n.key == "bird",
     ("church", "kitchen", "garden", "park", "street", "house", "school",
      "tree")),
    ("danser", is_agent,
     ("kitchen", "garden", "park", "street", "house", "beach")),
]


def t_intrans(rng):
    vkey, subj_ok, lms = pick(rng, INTRANS)
    v = V[vkey]
    tense, mode = pick_tense(rng), pick_mode(rng)
    subj = pick_subject(rng, subj_ok, coord_p=0.12, no_I=mode == "q")
    en_c, fr_c = [], []
    if rng.random() < 0.7:
        pp = loc_pp(rng, subj.sizes, lms)
        if pp:
            en_c, fr_c = pp
    if rng.random() < 0.35:
        a_en, a_fr = adverb(rng, tense)
        en_c, fr_c = en_c + a_en, fr_c + a_fr
    return clause(subj, v, tense, mode, en_c, fr_c)


def o_food(n, s):
    if s.has("ani"):
        return n.has("anifood")
    return n.has("food", "eatm")


def o_drink(n, s):
    if s.has("ani"):
        return n.has("anidrink")
    return n.has("drink")


def o_seen(n, s):
    return not n.mass and n.key not in s


TRANS = [
    # verb, subject filter, object filter(noun, subject), determiner profile
    ("manger", lambda n: is_hum(n) or is_ani(n), o_food, "obj"),
    ("boire", lambda n: is_hum(n) or is_ani(n), o_drink, "obj"),
    ("voir", lambda n: is_hum(n) or is_ani(n),
     lambda n, s: o_seen(n, subj_nouns(s)), "obj"),
    ("lire", is_agent, lambda n, s: n.has("read"), "obj"),
    ("écrire", is_agent, lambda n, s: n.has("write"), "obj"),
    ("prendre", is_agent, lambda n, s: n.has("port"), "obj"),
    ("aimer", is_hum,
     lambda n, s: n.key not in subj_nouns(s) and n.key not in ("baby",)
     and not n.has("role", "fam"), "like"),
    ("regarder", is_hum,
     lambda n, s: (n.has("hum", "ani", "tree") or n.size == "V"
                   or n.key == "flower") and n.key not in subj_nouns(s),
     "obj"),
    ("acheter", is_agent, lambda n, s: n.has("buy"), "obj"),
    ("chercher", lambda n: is_agent(n) or is_ani(n),
     lambda n, s: (n.has("hum", "ani", "port")) and not n.has("food")
     and n.key not in subj_nouns(s), "obj"),
    ("trouver", lambda n: is_agent(n) or is_ani(n),
     lambda n, s: (n.has("ani", "port")) and n.key not in subj_nouns(s),
     "obj"),
    ("ouvrir", is_agent, lambda n, s: n.has("open"), "obj"),
    ("fermer", is_agent, lambda n, s: n.has("close"), "obj"),
    ("faire", is_agent, lambda n, s: n.has("make"), "obj"),
    ("avoir", is_hum,
     lambda n, s: n.has("have", "pet", "fam") or (n.has("food") and not n.mass),
     "obj"),
    ("attendre", lambda n: is_hum(n) or is_ani(n),
     lambda n, s: (n.has("hum", "wait")) and n.key not in subj_nouns(s),
     "specific"),
    ("nettoyer", is_agent, lambda n, s: n.has("clean"), "specific"),
    ("finir", is_agent,
     lambda n, s: n.has("read") or n.key in ("cake", "soup", "sandwich"),
     "specific"),
    ("choisir", is_agent, lambda n, s: n.has("buy") and not n.mass, "obj"),
    ("connaître", is_hum,
     lambda n, s: (n.has("hum", "place") or n.has("pet"))
     and n.key not in subj_nouns(s), "specific"),
    ("aider", is_agent,
     lambda n, s: n.has("hum") and n.key not in subj_nouns(s), "specific"),
    ("appeler", is_hum,
     lambda n, s: (n.has("hum") or n.has("pet"))
     and n.key not in subj_nouns(s), "specific"),
    ("porter", is_agent,
     lambda n, s: n.has("port") or n.key in ("baby", "cat", "dog", "rabbit",
                                             "hen"), "obj"),
    ("vendre", is_agent,
     lambda n, s: n.has("buy") or n.key in ("horse", "cow", "hen"), "obj"),
]

ADJUNCT_PLACES = ("park", "garden", "kitchen", "house", "school", "library",
                  "office", "street", "home", "beach")
# verbs that take an optional locative adjunct, and where
ADJUNCTS = {
    "manger": ("kitchen", "garden", "park", "house", "home", "beach"),
    "boire": ("kitchen", "garden", "park", "house", "home", "beach"),
    "lire": ("library", "garden", "park", "kitchen", "home", "office",
             "beach", "school"),
    "écrire": ("library", "kitchen", "home", "office", "school"),
    "voir": ("park", "garden", "street", "beach", "forest", "school"),
    "regarder": ("park", "garden", "street", "beach", "house"),
    "attendre": ("station", "school", "street", "park", "home"),
    "chercher": ("house", "garden", "kitchen", "park", "street", "office"),
    "trouver": ("house", "garden", "kitchen", "park", "street", "office",
                "forest"),
    "acheter": ("market", "city"),
    "faire": ("kitchen", "home"),
    "aider": ("kitchen", "garden", "hospital", "school", "office", "home"),
    "nettoyer": ("home",),
}
# adjectives describing a passing state (may take "today", "now", ...)
STATE_ADJS = ("happy", "sad", "tired", "sick", "quiet", "hot", "cold",
              "clean", "dirty")


def object_np(rng, noun, profile, neg):
    if profile == "like":
        if rng.random() < 0.55:
            # generic: "likes cats" / "likes milk" -> "aime les chats/le lait"
            num = "s" if noun.mass else "p"
            return NP(noun, num, "generic",
                      pick(rng, [a for a in ADJS if a.ok(noun)] or [None])
                      if not noun.mass and rng.random() < 0.2 else None)
        return make_np(rng, noun, DET_SPECIFIC, adj_p=0.25)
    if profile == "specific":
        return make_np(rng, noun, DET_SPECIFIC, adj_p=0.25)
    if profile == "indef":
        return make_np(rng, noun, [("indef", 1)], adj_p=0.2)
    np_ = make_np(rng, noun, DET_OBJ, adj_p=0.3)
    # occasionally an English possessive: "the teacher's book"
    if (np_.det == "def" and not noun.mass and not noun.has("hum")
            and rng.random() < 0.15):
        owners = nouns_where(lambda n: n.has("hum") and n.key != "baby")
        owner = make_np(rng, pick(rng, owners), DET_LANDMARK, adj_p=0.0,
                        num="p" if np_.num == "p" and rng.random() < 0.3
                        else "s")
        np_.owner = owner
    return np_


def t_trans(rng):
    vkey, subj_ok, obj_ok, profile = pick(rng, TRANS)
    v = V[vkey]
    tense, mode = pick_tense(rng), pick_mode(rng)
    subj = pick_subject(rng, subj_ok, coord_p=0.06, no_I=mode == "q")
    cands = nouns_where(lambda n: obj_ok(n, subj))
    if not cands:
        return None
    obj_n = pick(rng, cands)
    if vkey == "avoir" and obj_n.has("fam"):
        profile = "indef"   # "has a sister", not "has this sister"
    obj = object_np(rng, obj_n, profile, mode == "neg")
    en_c = obj.en(mode if mode != "aff" else "aff")
    fr_c = obj.fr(neg=(mode == "neg"))
    r = rng.random()
    if r < 0.2 and vkey in ADJUNCTS:
        pp = loc_pp(rng, subj.sizes, ADJUNCTS[vkey], preps=("in", "at", "on"))
        if pp:
            en_c, fr_c = en_c + pp[0], fr_c + pp[1]
    elif r < 0.4 and vkey not in ("avoir", "connaître"):
        a_en, a_fr = adverb(rng, tense)
        en_c, fr_c = en_c + a_en, fr_c + a_fr
    return clause(subj, v, tense, mode, en_c, fr_c)


# destinations: key -> (English preposition, French preposition)
DEST_TO = ("park", "school", "garden", "market", "station", "hospital",
           "beach", "library", "museum", "church", "office")
DEST_INTO = ("kitchen", "forest", "house", "garden")
ARRIVE_AT = ("school", "station", "market", "hospital", "library", "museum",
             "office", "beach", "park", "home")
FROM = ("park", "school", "market", "station", "hospital", "beach",
        "library", "museum", "office", "church", "forest", "garden", "home")
ENTER = ("house", "kitchen", "church", "museum", "library", "garden", "park",
         "forest", "office", "school")


def t_motion(rng):
    kind = wpick(rng, [("aller", 5), ("arriver", 2), ("revenir", 2),
                       ("entrer", 2), ("rester", 2), ("partir", 1),
                       ("tomber", 2)])
    tense, mode = pick_tense(rng), pick_mode(rng)
    v = V[kind]
    fr_v = None
    en_c, fr_c = [], []
    if kind == "aller":
        subj = pick_subject(rng, lambda n: is_agent(n) or n.key == "dog",
                            coord_p=0.12, no_I=mode == "q")
        r = rng.random()
        if r < 0.15:
            en_c, fr_c = ["home"], ["à", "la", "maison"]
            fr_v = V["rentrer"]
        elif r < 0.3:
            key = pick(rng, DEST_INTO)
            e, f = landmark_np(rng, key)
            en_c, fr_c = ["into"] + e, ["dans"] + f
        else:
            key = pick(rng, DEST_TO)
            e, f = landmark_np(rng, key, bare_school=True)
            en_c, fr_c = ["to"] + e, ["à"] + f
    elif kind == "arriver":
        subj = pick_subject(rng, lambda n: is_agent(n) or n.key in ("bus", "train"),
                            coord_p=0.08, no_I=mode == "q")
        if subj.pron is None and subj.nouns[0].key == "train":
            key = "station"
        elif subj.pron is None and subj.nouns[0].key == "bus":
            key = pick(rng, ("station", "school"))
        else:
            key = pick(rng, ARRIVE_AT)
        e, f = landmark_np(rng, key, bare_school=True)
        en_c = (["home"] if key == "home" else ["at"] + e)
        fr_c = ["à"] + f
    elif kind == "revenir":
        subj = pick_subject(rng, is_agent, coord_p=0.08, no_I=mode == "q")
        key = pick(rng, FROM)
        e, f = landmark_np(rng, key, bare_school=True)
        en_c = ["home"] if key == "home" else ["from"] + e
        fr_c = (["à"] if key == "home" else ["de"]) + f
    elif kind == "entrer":
        subj = pick_subject(rng, lambda n: is_hum(n) or is_ani(n),
                            coord_p=0.08, no_I=mode == "q")
        key = pick(rng, ENTER)
        e, f = landmark_np(rng, key)
        en_c, fr_c = e, ["dans"] + f
    elif kind == "rester":
        subj = pick_subject(rng, lambda n: is_hum(n) or is_ani(n),
                            coord_p=0.08, no_I=mode == "q")
        pp = loc_pp(rng, subj.sizes,
                    ("home", "house", "garden", "kitchen", "car", "hospital",
                     "school", "office", "park", "library", "beach"))
        if pp is None:
            return None
        en_c, fr_c = pp
    elif kind == "partir":
        subj = pick_subject(rng, lambda n: is_agent(n) or n.key in ("bus", "train"),
                            coord_p=0.08, no_I=mode == "q")
        if subj.has("hum") and rng.random() < 0.5:
            comp = make_np(rng, pick(rng, nouns_where(
                lambda n: n.has("hum") and n.key not in subj_nouns(subj))),
                DET_SPECIFIC, adj_p=0.2)
            en_c, fr_c = ["with"] + comp.en(), ["avec"] + comp.fr()
        else:
            en_c, fr_c = adverb(rng, tense)
    else:  # tomber
        subj = pick_subject(rng, lambda n: is_hum(n) or is_ani(n)
                            or (n.size == "S" and not n.mass),
                            coord_p=0.0, no_I=mode == "q")
        r = rng.random()
        if r < 0.5:
            key = pick(rng, ("tree", "table", "chair", "bed"))
            if key == "tree" and subj.sizes[0] not in ("H", "A", "W") \
                    and not (subj.nouns and subj.nouns[0].has("food")):
                key = "table"
            e, f = landmark_np(rng, key)
            en_c, fr_c = ["from"] + e, ["de"] + f
        elif r < 0.8:
            pp = loc_pp(rng, subj.sizes, ("street", "garden", "kitchen",
                                          "park", "forest"))
            if pp:
                en_c, fr_c = pp
    if rng.random() < 0.25 and kind != "partir":
        a_en, a_fr = adverb(rng, tense)
        en_c, fr_c = en_c + a_en, fr_c + a_fr
    return clause(subj, v, tense, mode, en_c, fr_c, fr_v)


def t_give(rng):
    tense, mode = pick_tense(rng), pick_mode(rng, q=0.1, neg=0.12)
    subj = pick_subject(rng, is_agent, coord_p=0.05, no_I=mode == "q")
    obj_n = pick(rng, nouns_where(lambda n: n.has("port") or n.has("eatm")
                                  or n.has("drink")))
    obj = make_np(rng, obj_n, DET_OBJ, adj_p=0.2)
    feedable = obj_n.has("anifood", "anidrink")
    rec_n = pick(rng, nouns_where(
        lambda n: (n.has("hum") or (feedable and n.has("ani")))
        and n.key not in subj_nouns(subj)))
    rec = make_np(rng, rec_n, DET_SPECIFIC, adj_p=0.15)
    en_c = obj.en(mode) + ["to"] + rec.en()
    fr_c = obj.fr(neg=mode == "neg") + ["à"] + rec.fr()
    return clause(subj, V["donner"], tense, mode, en_c, fr_c)


def t_talk(rng):
    tense, mode = pick_tense(rng), pick_mode(rng)
    subj = pick_subject(rng, is_agent, coord_p=0.08, no_I=mode == "q")
    other = pick(rng, nouns_where(lambda n: n.has("hum") and n.key != "baby"
                                  and n.key not in subj_nouns(subj)))
    o = make_np(rng, other, DET_SPECIFIC, adj_p=0.2)
    if rng.random() < 0.6:
        en_c, fr_c = ["to"] + o.en(), ["à"] + o.fr()
    else:
        en_c, fr_c = ["with"] + o.en(), ["avec"] + o.fr()
    if rng.random() < 0.25:
        a_en, a_fr = adverb(rng, tense)
        en_c, fr_c = en_c + a_en, fr_c + a_fr
    return clause(subj, V["parler"], tense, mode, en_c, fr_c)


def t_live(rng):
    tense, mode = pick_tense(rng), pick_mode(rng)
    subj = pick_subject(rng, lambda n: is_hum(n) and n.key != "baby",
                        coord_p=0.05, no_I=mode == "q")
    r = rng.random()
    if r < 0.45:
        key = pick(rng, ("house", "house", "city", "street"))
        o = make_np(rng, N[key], DET_OBJ, num="s", adj_p=0.4)
        en_c, fr_c = ["in"] + o.en(), ["dans"] + o.fr()
    elif r < 0.75:
        key = pick(rng, ("school", "station", "park", "market", "hospital",
                         "beach", "forest", "church", "museum", "library"))
        e, f = landmark_np(rng, key)
        en_c, fr_c = ["near"] + e, ["près", "de"] + f
    else:
        other = pick(rng, nouns_where(lambda n: n.has("fam", "role")
                                      and n.key not in subj_nouns(subj)))
        o = make_np(rng, other, DET_SPECIFIC, adj_p=0.15)
        en_c, fr_c = ["with"] + o.en(), ["avec"] + o.fr()
    return clause(subj, V["habiter"], tense, mode, en_c, fr_c)


def t_cop_adj(rng):
    tense, mode = pick_tense(rng), pick_mode(rng)
    subj = pick_subject(rng, lambda n: any(a.ok(n, pred=True) for a in ADJS),
                        coord_p=0.1, no_I=mode == "q", adj_p=0.0,
                        allow_mass=True, allow_indef=False)
    if subj.pron:
        cands = [a for a in ADJS if a.ok_pron()]
    else:
        cands = [a for a in ADJS if all(a.ok(n, pred=True) for n in subj.nouns)]
    if not cands:
        return None
    adj = pick(rng, cands)
    en_c = [adj.en]
    fr_c = [adj.fr_form(subj.g, subj.num)]
    if rng.random() < 0.25 and adj.key in STATE_ADJS:
        a_en, a_fr = adverb(rng, tense)
        if a_en != ["every", "day"]:
            en_c, fr_c = en_c + a_en, fr_c + a_fr
    return clause(subj, V["être"], tense, mode, en_c, fr_c)


def t_cop_loc(rng):
    tense, mode = pick_tense(rng), pick_mode(rng, q=0.15)
    subj = pick_subject(rng, lambda n: n.size is not None and not n.mass,
                        coord_p=0.08, no_I=mode == "q", allow_indef=False)
    pp = loc_pp(rng, subj.sizes, exclude=subj_nouns(subj))
    if pp is None:
        return None
    return clause(subj, V["être"], tense, mode, pp[0], pp[1])


def t_there(rng):
    tense, mode = pick_tense(rng), pick_mode(rng, q=0.15, neg=0.2)
    noun = pick(rng, nouns_where(lambda n: n.size is not None))
    pp = loc_pp(rng, [noun.size], exclude=(noun.key,))
    if pp is None:
        return None
    np_ = make_np(rng, noun, [("indef", 1)], adj_p=0.3)
    plural = np_.num == "p"
    be = ("are" if plural else "is") if tense == "pres" else \
        ("were" if plural else "was")
    ya = "a" if tense == "pres" else "avait"
    if mode == "q":
        en = [be.capitalize(), "there"] + np_.en("q") + pp[0]
        fr = ["Est-ce", "que", "il", "y", ya] + np_.fr() + pp[1]
        return en, fr, "?"
    if mode == "neg":
        en = ["there", be, "no"] + np_.en("neg")[(0 if noun.mass else 1):] + pp[0]
        fr = ["il", "ne", "y", ya, "pas"] + np_.fr(neg=True) + pp[1]
        return en, fr, "."
    return (["there", be] + np_.en() + pp[0],
            ["il", "y", ya] + np_.fr() + pp[1], ".")


IDIOMS = [("hungry", "faim"), ("thirsty", "soif"), ("cold", "froid"),
          ("hot", "chaud"), ("afraid", "peur")]


def t_idiom(rng):
    """be hungry/thirsty/cold/hot/afraid -> avoir faim/soif/froid/chaud/peur"""
    tense, mode = pick_tense(rng), pick_mode(rng)
    subj = pick_subject(rng, lambda n: is_hum(n) or is_ani(n), coord_p=0.08,
                        no_I=mode == "q")
    en_w, fr_w = pick(rng, IDIOMS)
    front, rest = en_vgroup(V["être"], subj, tense, mode)
    en_c, fr_c = [en_w], [fr_w]
    if fr_w == "peur" and rng.random() < 0.7:
        feared = pick(rng, nouns_where(lambda n: n.has("ani")
                                       and n.key not in subj_nouns(subj)))
        if rng.random() < 0.5:
            o = NP(feared, "p", "generic")   # afraid of dogs -> peur des chiens
        else:
            o = make_np(rng, feared, DET_SPECIFIC, adj_p=0.2)
        en_c += ["of"] + o.en()
        fr_c += ["de"] + o.fr()
    elif rng.random() < 0.2:
        a_en, a_fr = adverb(rng, tense)
        if a_en != ["every", "day"]:
            en_c, fr_c = en_c + a_en, fr_c + a_fr
    fr_v = fr_vgroup(V["avoir"], subj, tense, mode == "neg")
    if mode == "q":
        return ([front[0].capitalize()] + subj.en + en_c,
                ["Est-ce", "que"] + subj.fr + fr_v + fr_c, "?")
    return subj.en + rest + en_c, subj.fr + fr_v + fr_c, "."


# profession nouns used as predicates: "She is a nurse." -> "Elle est infirmière."
PROFESSIONS = [
    # en sg, en pl, m sg, f sg, m pl, f pl
    ("doctor", "doctors", "médecin", "médecin", "médecins", "médecins"),
    ("student", "students", "étudiant", "étudiante", "étudiants", "étudiantes"),
    ("nurse", "nurses", "infirmier", "infirmière", "infirmiers", "infirmières"),
    ("cook", "cooks", "cuisinier", "cuisinière", "cuisiniers", "cuisinières"),
    ("singer", "singers", "chanteur", "chanteuse", "chanteurs", "chanteuses"),
    ("dancer", "dancers", "danseur", "danseuse", "danseurs", "danseuses"),
    ("baker", "bakers", "boulanger", "boulangère", "boulangers", "boulangères"),
]


def t_profession(rng):
    tense, mode = pick_tense(rng), pick_mode(rng)
    prof = pick(rng, PROFESSIONS)
    subj = pick_subject(rng, lambda n: n.key in ("man", "woman", "mother",
                                                  "father", "sister",
                                                  "brother", "friend",
                                                  "teacher", "doctor",
                                                  "nurse", "student")
                        and n.key != prof[0], no_I=mode == "q", adj_p=0.1)
    if subj.num == "s":
        en_c = ["a", prof[0]]
        fr_c = [prof[2] if subj.g == "m" else prof[3]]
    else:
        en_c = [prof[1]]
        fr_c = [prof[4] if subj.g == "m" else prof[5]]
    return clause(subj, V["être"], tense, mode, en_c, fr_c)


WHERE_VERBS = ("dormir", "jouer", "travailler", "habiter", "aller")
INV_PRON = {"you": ("es", "étais", "tu"), "he": ("est", "était", "il"),
            "she": ("est", "était", "elle"), "we": ("sommes", "étions", "nous"),
            "they": ("sont", "étaient", "ils")}


def t_where(rng):
    tense = pick_tense(rng)
    if rng.random() < 0.5:
        # Where is the cat? -> Où est le chat ?
        subj = pick_subject(rng, lambda n: n.size is not None and not n.mass,
                            pron_ok=rng.random() < 0.3, no_I=True, adj_p=0.2)
        be = en_be(subj, tense)
        if subj.pron:
            pres, imp, fr_p = INV_PRON[subj.pron]
            f = pres if tense == "pres" else imp
            # "Where is he?" alone is too short: add a time adverb
            a_en, a_fr = pick(rng, [(["now"], ["maintenant"]),
                                    (["today"], ["aujourd'hui"])]
                              if tense == "pres" else
                              [(["yesterday"], ["hier"]),
                               (["this", "morning"], ["ce", "matin"])])
            return (["Where", be] + subj.en + a_en,
                    ["Où", f + "-" + fr_p] + a_fr, "?")
        f = V["être"].pres[subj.idx] if tense == "pres" else \
            V["être"].imp[subj.idx]
        return ["Where", be] + subj.en, ["Où", f] + subj.fr, "?"
    vkey = pick(rng, WHERE_VERBS)
    subj_ok = (lambda n: is_hum(n) or is_ani(n)) if vkey in ("dormir", "jouer") \
        else is_agent
    subj = pick_subject(rng, subj_ok, no_I=True, coord_p=0.05)
    v = V[vkey]
    front, rest = en_vgroup(v, subj, tense, "q")
    en = ["Where", front[0]] + subj.en + rest
    fr = ["Où", "est-ce", "que"] + subj.fr + fr_vgroup(v, subj, tense, False)
    return en, fr, "?"


WHAT_VERBS = ("manger", "boire", "lire", "écrire", "acheter", "chercher",
              "faire", "voir", "trouver", "choisir", "vendre", "prendre")


def t_what(rng):
    # What does the boy eat? -> Qu'est-ce que le garçon mange ?
    tense = pick_tense(rng)
    vkey = pick(rng, WHAT_VERBS)
    v = V[vkey]
    subj = pick_subject(rng, is_agent, no_I=True, coord_p=0.05)
    front, rest = en_vgroup(v, subj, tense, "q")
    en = ["What", front[0]] + subj.en + rest
    fr = ["Qu'est-ce", "que"] + subj.fr + fr_vgroup(v, subj, tense, False)
    if rng.random() < 0.3:
        pp = loc_pp(rng, subj.sizes, ADJUNCT_PLACES, preps=("in", "at", "on"))
        if pp:
            en, fr = en + pp[0], fr + pp[1]
    return en, fr, "?"


def t_exclam(rng):
    # What a beautiful house! -> Quelle belle maison !
    noun = pick(rng, nouns_where(lambda n: not n.mass
                                 and any(a.ok(n) for a in ADJS)))
    adj = pick(rng, [a for a in ADJS if a.ok(noun)])
    num = "s" if rng.random() < 0.6 else "p"
    np_ = NP(noun, num, "none", adj)
    quel = {("m", "s"): "quel", ("f", "s"): "quelle", ("m", "p"): "quels",
            ("f", "p"): "quelles"}[(noun.g, num)]
    en = ["what"] + (["a"] if num == "s" else []) + np_.en()
    return en, [quel] + np_.fr(), "!"


TEMPLATES = [
    (t_intrans, 11), (t_trans, 26), (t_motion, 12), (t_give, 4),
    (t_talk, 4), (t_live, 3), (t_cop_adj, 12), (t_cop_loc, 7),
    (t_there, 6), (t_idiom, 4), (t_profession, 3), (t_where, 3),
    (t_what, 3), (t_exclam, 2),
]


def word_count(s):
    return sum(1 for w in s.split() if any(c.isalnum() for c in w))


def sample(rng):
    """One grammatical pair within the length limits, or None."""
    res = wpick(rng, TEMPLATES)(rng)
    if res is None:
        return None
    en_t, fr_t, punct = res
    en = en_join(en_t, punct)
    fr = fr_join(fr_t, punct)
    if not (MIN_WORDS <= word_count(en) <= MAX_WORDS
            and MIN_WORDS <= word_count(fr) <= MAX_WORDS):
        return None
    return en, fr


def stream(seed, total, out):
    rng = random.Random(seed)
    with open(out / "train.en", "w", encoding="utf-8", newline="\n") as f_en, \
            open(out / "train.fr", "w", encoding="utf-8", newline="\n") as f_fr:
        written = 0
        while written < total:
            pair = sample(rng)
            if pair is None:
                continue
            f_en.write(pair[0] + "\n")
            f_fr.write(pair[1] + "\n")
            written += 1
    print("train: %d pairs" % total, file=sys.stderr)


def generate(seed, total):
    rng = random.Random(seed)
    pairs = []
    seen_en = {}
    seen_fr = {}
    attempts = 0
    while len(pairs) < total:
        attempts += 1
        if attempts > total * 200:
            raise SystemExit("could not generate enough distinct sentences")
        pair = sample(rng)
        if pair is None:
            continue
        en, fr = pair
        if en in seen_en or fr in seen_fr:
            continue
        seen_en[en] = True
        seen_fr[fr] = True
        pairs.append((en, fr))
    return pairs


def main(argv=None):
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(
        description="Generate the synthetic English-French toy corpus.")
    ap.add_argument("--out", default=None,
                    help="output directory (default: <repo>/data/toy)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--stream", type=int, metavar="N",
                    help="write only N training pairs, repeats allowed, in constant memory")
    args = ap.parse_args(argv)
    out = Path(args.out) if args.out else repo / "data" / "toy"
    out.mkdir(parents=True, exist_ok=True)
    if args.stream is not None:
        stream(args.seed, args.stream, out)
        return 0

    pairs = generate(args.seed, N_TRAIN + N_VALID + N_TEST)
    random.Random(args.seed + 1000003).shuffle(pairs)
    splits = [("train", pairs[:N_TRAIN]),
              ("valid", pairs[N_TRAIN:N_TRAIN + N_VALID]),
              ("test", pairs[N_TRAIN + N_VALID:])]
    for name, items in splits:
        for side, k in (("en", 0), ("fr", 1)):
            path = out / ("%s.%s" % (name, side))
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                for p in items:
                    f.write(p[k] + "\n")
        print("%s: %d pairs" % (name, len(items)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
